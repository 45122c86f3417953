/* act.h - the hidden-unit activations of every layer (pretrained DAE layers
 * and the supervised network's hidden layers): one implementation, with
 * the codes stored in model files.
 *
 *   h = act(a);   act'(a) is given through h (act_grad), which is what
 *   backpropagation has at hand:
 *     relu      h = max(a, 0)             act' = [h > 0]
 *     softplus  h = log(1 + e^a)          act' = sigmoid(a) = 1 - e^-h
 *     tanh      h = tanh(a)               act' = 1 - h^2
 *     sigmoid   h = 1 / (1 + e^-a)        act' = h (1 - h)
 */
#ifndef SENTI_ACT_H
#define SENTI_ACT_H

#include <math.h>
#include <stddef.h>

/* Codes stored in model files: never renumber. */
enum { ACT_RELU = 1, ACT_SOFTPLUS = 2, ACT_TANH = 3, ACT_SIGMOID = 4 };

/* 1 for a known code.  Every reader of a model checks its layers' codes
 * with it, so a file with an unknown activation is refused. */
static inline int act_valid(int act) { return act >= ACT_RELU && act <= ACT_SIGMOID; }

/* "relu", "softplus", "tanh", "sigmoid"; "?" for an unknown code. */
const char *act_name(int act);
/* The code of a name, -1 if unknown. */
int act_parse(const char *s);
/* The list of names for messages: "relu, softplus, tanh, sigmoid". */
const char *act_names(void);

/* Numerically stable softplus and sigmoid. */
static inline float act_softplusf(float a) { return a > 0 ? a + log1pf(expf(-a)) : log1pf(expf(a)); }
static inline float act_sigmoidf(float a)
{
    if (a >= 0) return 1 / (1 + expf(-a));
    float e = expf(a);
    return e / (1 + e);
}

/* h = act(a); an unknown code is the caller's bug (checked on load), and
 * gives the sigmoid. */
static inline float act_apply(int act, float a)
{
    switch (act) {
    case ACT_RELU: return a > 0 ? a : 0;
    case ACT_SOFTPLUS: return act_softplusf(a);
    case ACT_TANH: return tanhf(a);
    default: return act_sigmoidf(a);
    }
}

/* act'(a) as a function of h = act(a). */
static inline float act_grad(int act, float h)
{
    switch (act) {
    case ACT_RELU: return h > 0 ? 1.0f : 0.0f;
    case ACT_SOFTPLUS: return -expm1f(-h);
    case ACT_TANH: return 1 - h * h;
    default: return h * (1 - h);
    }
}

/* x[i] = act(x[i]) for n values. */
void act_vec(int act, float *x, size_t n);

/* 1 for units whose scaled outputs are clipped to [0,1] when stacked
 * (rectifier and softplus: unbounded above). */
static inline int act_unbounded(int act) { return act == ACT_RELU || act == ACT_SOFTPLUS; }

#endif
