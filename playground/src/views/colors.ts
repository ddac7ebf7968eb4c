/** Colours shared by the views: class 0 orange, class 1 blue (as TensorFlow Playground). */

export const ORANGE: [number, number, number] = [245, 147, 34];
export const BLUE: [number, number, number] = [8, 119, 189];

export const css = ([r, g, b]: readonly number[], alpha = 1): string => `rgba(${r}, ${g}, ${b}, ${alpha})`;

/** P(class 1) → a colour from orange (0) through white (0.5) to blue (1). */
export function probabilityRgb(p: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, 2 * p - 1));
  const c = t < 0 ? ORANGE : BLUE;
  const k = Math.abs(t) * 0.75;
  return [255 + (c[0] - 255) * k, 255 + (c[1] - 255) * k, 255 + (c[2] - 255) * k];
}

/** A signed value → blue (positive) or orange (negative), opaque in proportion to |v| / scale. */
export function signedColor(v: number, scale: number): string {
  const k = scale > 0 ? Math.min(1, Math.abs(v) / scale) : 0;
  return css(v >= 0 ? BLUE : ORANGE, 0.15 + 0.85 * k);
}
