/**
 * CartPole, the classic control task (Barto, Sutton & Anderson 1983) as Gymnasium's CartPole-v1:
 * push a cart left (action 0) or right (action 1) with a force of 10 N to keep a pole upright.
 * Reward 1 for every step, including the one that ends the episode; the episode terminates when
 * |x| > 2.4 or |θ| > 12°, and is truncated after 500 steps.
 *
 * The state is four float64 numbers (x, ẋ, θ, θ̇) integrated with explicit Euler steps of 0.02 s;
 * observations are those numbers rounded to float32, as Gymnasium returns them.
 */
import { IndexError } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import type { BoxSpace, DiscreteSpace, Env, StepResult } from './env.js';
import { boxSpace, discreteSpace } from './env.js';

export interface CartPoleOptions {
  /** Draws the initial states (default: the library's default generator). */
  generator?: Generator;
  /** Steps after which an episode is truncated (default 500, as CartPole-v1). */
  maxEpisodeSteps?: number;
}

export class CartPole implements Env<Float32Array, number> {
  readonly gravity = 9.8;
  readonly massCart = 1.0;
  readonly massPole = 0.1;
  readonly totalMass = this.massPole + this.massCart;
  /** Half the pole's length. */
  readonly length = 0.5;
  readonly poleMassLength = this.massPole * this.length;
  readonly forceMag = 10.0;
  /** Seconds between state updates. */
  readonly tau = 0.02;
  readonly thetaThresholdRadians = (12 * 2 * Math.PI) / 360;
  readonly xThreshold = 2.4;
  readonly maxEpisodeSteps: number;

  /** Observations beyond the failure bounds stay representable: twice the thresholds. */
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace = discreteSpace(2);

  private generator: Generator;
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private started = false;
  private elapsed = 0;
  /** Steps taken after termination (Gymnasium gives them reward 0). */
  private stepsBeyondTerminated: number | null = null;

  constructor(opts: CartPoleOptions = {}) {
    this.generator = opts.generator ?? defaultGenerator;
    const max = opts.maxEpisodeSteps ?? 500;
    if (!Number.isInteger(max) || max < 1) {
      throw new IndexError(`CartPole: maxEpisodeSteps must be a positive integer, got ${String(max)}`);
    }
    this.maxEpisodeSteps = max;
    const f32max = 3.4028234663852886e38;
    this.observationSpace = boxSpace(
      [4],
      [-2 * this.xThreshold, -f32max, -2 * this.thetaThresholdRadians, -f32max],
      [2 * this.xThreshold, f32max, 2 * this.thetaThresholdRadians, f32max],
    );
  }

  /** The float64 state [x, ẋ, θ, θ̇]. */
  get state(): [number, number, number, number] {
    return [this.x, this.xDot, this.theta, this.thetaDot];
  }

  /** Places the system in a given state (as assigning Gymnasium's env.state); the step count stays. */
  set state(s: readonly number[]) {
    if (s.length !== 4 || !s.every(Number.isFinite)) {
      throw new IndexError(`CartPole.state: expected 4 finite numbers [x, ẋ, θ, θ̇], got [${s.join(', ')}]`);
    }
    [this.x, this.xDot, this.theta, this.thetaDot] = s;
    this.started = true;
    this.stepsBeyondTerminated = null;
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  /** Each state variable uniform in [−0.05, 0.05), drawn in the order x, ẋ, θ, θ̇. */
  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.generator = new Generator(seed);
    const u = () => -0.05 + 0.1 * this.generator.nextDouble();
    this.x = u();
    this.xDot = u();
    this.theta = u();
    this.thetaDot = u();
    this.started = true;
    this.elapsed = 0;
    this.stepsBeyondTerminated = null;
    return this.observe();
  }

  step(action: number): StepResult<Float32Array> {
    if (action !== 0 && action !== 1) {
      throw new IndexError(`CartPole.step: action must be 0 or 1, got ${String(action)}`);
    }
    if (!this.started) throw new IndexError('CartPole.step: call reset() before step()');
    const force = action === 1 ? this.forceMag : -this.forceMag;
    const cos = Math.cos(this.theta);
    const sin = Math.sin(this.theta);
    // The equations of motion of the 1983 paper with the corrected sign (Florian 2007).
    const temp = (force + this.poleMassLength * this.thetaDot * this.thetaDot * sin) / this.totalMass;
    const thetaAcc =
      (this.gravity * sin - cos * temp) /
      (this.length * (4 / 3 - (this.massPole * cos * cos) / this.totalMass));
    const xAcc = temp - (this.poleMassLength * thetaAcc * cos) / this.totalMass;
    // Explicit Euler: positions move with the old velocities.
    this.x += this.tau * this.xDot;
    this.xDot += this.tau * xAcc;
    this.theta += this.tau * this.thetaDot;
    this.thetaDot += this.tau * thetaAcc;
    this.elapsed++;

    const terminated =
      this.x < -this.xThreshold ||
      this.x > this.xThreshold ||
      this.theta < -this.thetaThresholdRadians ||
      this.theta > this.thetaThresholdRadians;
    let reward = 1;
    if (terminated) {
      if (this.stepsBeyondTerminated === null) this.stepsBeyondTerminated = 0;
      else {
        // Stepping on after the end earns nothing.
        this.stepsBeyondTerminated++;
        reward = 0;
      }
    }
    return {
      observation: this.observe(),
      reward,
      terminated,
      truncated: this.elapsed >= this.maxEpisodeSteps,
    };
  }

  private observe(): Float32Array {
    return Float32Array.of(this.x, this.xDot, this.theta, this.thetaDot);
  }
}
