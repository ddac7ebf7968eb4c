import type { Example } from './common.js';
import { example as charGpt } from './char-gpt/main.js';
import { example as charLstm } from './char-lstm/main.js';
import { example as digitsMlp } from './digits-mlp/main.js';
import { example as dcganFashion } from './dcgan-fashion/main.js';
import { example as dqnCartpole } from './dqn-cartpole/main.js';
import { example as fashionCnn } from './fashion-cnn/main.js';
import { example as fashionMlp } from './fashion-mlp/main.js';
import { example as ganRing } from './gan-ring/main.js';
import { example as convVae } from './vae/conv.js';
import { example as vae, example2d as vae2d } from './vae/main.js';
import { example as fashionResnet } from './fashion-resnet/main.js';
import { example as optimizers } from './optimizers/main.js';
import { example as regularization } from './regularization/main.js';
import { example as vanishingGradients } from './vanishing-gradients/main.js';
import { example as xor } from './xor/example.js';

/** Every example the CLI can run, by name. */
export const EXAMPLES: Record<string, Example> = Object.fromEntries(
  [
    digitsMlp,
    fashionMlp,
    fashionCnn,
    fashionResnet,
    dqnCartpole,
    vae,
    vae2d,
    convVae,
    ganRing,
    dcganFashion,
    charLstm,
    charGpt,
    vanishingGradients,
    optimizers,
    regularization,
    xor,
  ].map((e) => [e.name, e]),
);
