/** PyTorch's torch.nn.utils names for the gradient clipping helpers (they live in optim). */
export { clipGradNorm, clipGradValue } from '../optim/clip.js';
