// Runs an ONNX model on one float32 input with ONNX Runtime (the npm package onnxruntime-node),
// for the Go tests that compare zebra's ONNX export with zebra's own forward pass:
//
//   NODE_PATH=DIR/node_modules node scripts/onnx/run.js MODEL.onnx INPUT.f32 N,C,H,W OUTPUT.f32
//
// INPUT.f32 holds N*C*H*W little-endian float32s in row-major order, fed to the model's first
// input; the model's first output is written to OUTPUT.f32 the same way, and its shape is printed
// as JSON ({"output": "output", "dims": [1, 3, 64, 64]}). One thread, so that a run on a shared
// machine is repeatable and does not crowd out other work.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, shapeArg, outputPath] = process.argv.slice(2);
  if (!outputPath) {
    throw new Error('usage: node run.js MODEL.onnx INPUT.f32 N,C,H,W OUTPUT.f32');
  }
  const dims = shapeArg.split(',').map(Number);
  const bytes = fs.readFileSync(inputPath);
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== 4 * count) {
    throw new Error(`${inputPath}: ${bytes.length} bytes, want ${4 * count} for shape [${dims}]`);
  }
  // Copy into a fresh, aligned buffer: a Buffer's bytes may start at any offset of its pool.
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes);

  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const results = await session.run(feeds);
  const out = results[session.outputNames[0]];
  if (out.type !== 'float32') {
    throw new Error(`output ${session.outputNames[0]} is ${out.type}, want float32`);
  }
  const outBytes = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  fs.writeFileSync(outputPath, outBytes);
  console.log(JSON.stringify({ output: session.outputNames[0], dims: out.dims }));
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
