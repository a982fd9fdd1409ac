/**
 * WGSL of the special functions: `erfinv` as XLA evaluates it in float32
 * (Giles' polynomial, the CPU's `erfinvFloat32`, so that normal samples
 * agree with the CPU's up to the device's `log`), and `erf` by the
 * float32 rational approximation XLA uses (|error| < 2e-7 on [-4, 4],
 * ±1 beyond).
 *
 * @module
 */

/** `erfinv_(y: f32) -> f32`. */
export const ERFINV_WGSL = `
fn erfinv_(y: f32) -> f32 {
  if (abs(y) == 1.0) { return y * bitcast<f32>(0x7f800000u); }
  if (!(abs(y) < 1.0)) { return bitcast<f32>(0x7fc00000u); }
  var w = -log1p_(-(y * y));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * y;
}`;

/** `erf_(x: f32) -> f32` (XLA's float32 rational approximation). */
export const ERF_WGSL = `
fn erf_(x0: f32) -> f32 {
  let x = clamp(x0, -4.0, 4.0);
  let x2 = x * x;
  var a = -2.72614225801306e-10;
  a = a * x2 + 2.77068142495902e-08;
  a = a * x2 + -2.10102402082508e-06;
  a = a * x2 + -5.69250639462346e-05;
  a = a * x2 + -7.34990630326855e-04;
  a = a * x2 + -2.95459980854025e-03;
  a = a * x2 + -1.60960333262415e-02;
  var b = -1.45660718464996e-05;
  b = b * x2 + -2.13374055278905e-04;
  b = b * x2 + -1.68282697438203e-03;
  b = b * x2 + -7.37332916720468e-03;
  b = b * x2 + -1.42647390514189e-02;
  return x * a / b;
}`;
