/* act.c - activation names and the vector form (see act.h). */
#include "act.h"

#include <string.h>

static const char *const names[] = {NULL, "relu", "softplus", "tanh", "sigmoid"};

const char *act_name(int act) { return act_valid(act) ? names[act] : "?"; }

int act_parse(const char *s)
{
    for (int i = ACT_RELU; i <= ACT_SIGMOID; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

const char *act_names(void) { return "relu, softplus, tanh, sigmoid"; }

void act_vec(int act, float *x, size_t n)
{
    switch (act) {
    case ACT_RELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
        break;
    default:
        for (size_t i = 0; i < n; i++) x[i] = act_apply(act, x[i]);
    }
}
