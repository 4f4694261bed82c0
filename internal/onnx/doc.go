// Package onnx writes ONNX models: inference graphs of standard operators that ONNX Runtime,
// TensorRT, OpenVINO, onnx2torch and browsers (onnxruntime-web) run without zebra.
//
// An ONNX file is one protobuf message, a ModelProto (onnx/onnx.proto3 in the ONNX repository):
//
//	ModelProto   ir_version, producer_name, opset_import [{domain "", version 17}], graph,
//	             metadata_props [{key, value}]
//	GraphProto   name, node [...] in topological order, initializer [...] (the weights),
//	             input [...] and output [...] (name, element type, shape)
//	NodeProto    op_type "Conv", input ["x", "model.1.weight", "model.1.bias"], output ["y"],
//	             attribute [{name "strides", ints [1, 1]}, ...]
//	TensorProto  name, dims, data_type FLOAT, raw_data (little-endian float32s)
//
// Values are wired by name: a node reads the names of graph inputs, initializers or earlier
// nodes' outputs. A dimension of an input or output is a number or a symbolic name ("height"),
// which lets one file take images of any size.
//
// The package is a small builder (Model, Graph, Node, Tensor, ValueInfo) and an encoder,
// Model.Marshal, that writes the messages with google.golang.org/protobuf/encoding/protowire and
// the field numbers of the spec, listed once in encode.go. Only what an inference graph of float32
// tensors needs is there: no subgraphs, no sparse or external tensors, no functions. Marshal checks
// the wiring first (every input defined before it is read, names unique, data lengths matching the
// shapes), because a runtime would otherwise reject the file with a less helpful message.
//
// Opset 17 is the default: it has every operator CycleGAN's generator needs (Conv, ConvTranspose,
// InstanceNormalization, Pad with mode "reflect", Relu, Tanh, Add) and every runtime released
// since 2022 reads it. It goes with IR version 8.
package onnx
