"""ONNX export that never holds a network's weights twice.

1. trace(): torch.onnx.export of the network with placeholder parameters and export_params=False,
   so the parameters arrive as named graph inputs; they become initializers without data, and
   transposed Linear weights are folded here (as torch's constant folding would).
2. A precision pass rewrites the weightless graph: fp32 (as is), fp16 (everything float16 but the
   timestep sinusoids, as a half-precision export), fp16w (float16 weights, each cast to float32
   in the graph, so ONNX Runtime's CPU kernels run float32 on half the bytes), int8 (weight-only:
   int8 MatMul/Gemm/Conv weights with per-output-channel scales behind DequantizeLinear).
3. save(): draws each parameter once and writes what every initializer needs from it, into
   model.onnx or, past 2 GB, into model.onnx_data next to it (optimum's layout).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from . import weights

OPSET = 14  # optimum's default for Stable Diffusion components (Trilu for CLIP's causal mask)
EXTERNAL_THRESHOLD = 1024  # bytes; smaller tensors stay in model.onnx (optimum's size_threshold)
PROTOBUF_LIMIT = 2 * 1024 ** 3
ALIGN = 4096  # external tensors start on a page boundary, so a runtime may map them
FP16_MAX = 65504.0

FLOAT, HALF, INT8 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.INT8


@dataclass
class Source:
    """A module parameter, drawn in float32 (and transposed, for a folded Linear weight)."""

    param: str
    kind: str
    shape: tuple[int, ...]
    transpose: bool = False

    def values(self, seed: int) -> np.ndarray:
        v = weights.draw(seed, self.param, self.kind, self.shape)
        return np.ascontiguousarray(v.T) if self.transpose else v


@dataclass
class Exported:
    """A weightless graph and, per initializer, where its data comes from."""

    model: onnx.ModelProto
    # initializer name → (source initializer name, function of that source's float32 values)
    recipes: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def copy(self) -> "Exported":
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        return Exported(m, dict(self.recipes), dict(self.sources))

    def parameter_count(self) -> int:
        return sum(int(np.prod(s.shape)) for s in self.sources.values())


def _identity(v: np.ndarray) -> np.ndarray:
    return v


def trace(module: nn.Module, args: tuple, input_names: list[str], output_names: list[str],
          dynamic_axes: dict) -> Exported:
    kinds = weights.parameter_kinds(module)
    shapes = {n: tuple(p.shape) for n, p in module.named_parameters()}
    weights.zero_weights(module)
    module.eval()
    buf = io.BytesIO()
    with torch.no_grad(), _shape_inference_without_parameters(), _no_placeholder_copies():
        torch.onnx.export(module, args, buf, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, export_params=False,
                          do_constant_folding=False)
    model = onnx.load_from_string(buf.getvalue())
    g = model.graph
    params = [i for i in g.input if i.name in shapes]
    unknown = [i.name for i in g.input if i.name not in shapes and i.name not in input_names]
    if unknown:
        raise RuntimeError(f"unexpected graph inputs {unknown[:5]}")
    consumers: dict[str, list] = defaultdict(list)
    for node in g.node:
        for name in node.input:
            consumers[name].append(node)
    ex = Exported(model)
    drop: set[int] = set()
    for vi in params:
        name = vi.name
        users = consumers[name]
        src = Source(name, kinds[name], shapes[name])
        if len(shapes[name]) == 2 and users and all(
                n.op_type == "Transpose" and list(n.attribute[0].ints) == [1, 0] for n in users):
            # Linear on a 3-d input: MatMul(x, Transpose(W)). Store Wᵀ, as exports do.
            folded = f"{name}.T"
            src.transpose = True
            for n in users:
                drop.add(id(n))
                for other in consumers[n.output[0]]:
                    for k, inp in enumerate(other.input):
                        if inp == n.output[0]:
                            other.input[k] = folded
            _add_initializer(ex, folded, FLOAT, (shapes[name][1], shapes[name][0]))
            ex.sources[folded] = src
            ex.recipes[folded] = (folded, _identity)
        else:
            _add_initializer(ex, name, FLOAT, shapes[name])
            ex.sources[name] = src
            ex.recipes[name] = (name, _identity)
    kept = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(kept)
    remaining = [i for i in g.input if i.name not in shapes]
    del g.input[:]
    g.input.extend(remaining)
    return ex


@contextlib.contextmanager
def _shape_inference_without_parameters():
    """The exporter runs ONNX shape inference node by node with the parameters' values attached;
    the placeholders carry nothing to infer from (their shapes are on the graph inputs), and
    leaving them out makes tracing a large network about 2.5 times faster, with the same graph."""
    node, graph = (torch._C._jit_pass_onnx_node_shape_type_inference,
                   torch._C._jit_pass_onnx_graph_shape_type_inference)
    torch._C._jit_pass_onnx_node_shape_type_inference = lambda n, p, o: node(n, {}, o)
    torch._C._jit_pass_onnx_graph_shape_type_inference = lambda g, p, o: graph(g, {}, o)
    try:
        yield
    finally:
        torch._C._jit_pass_onnx_node_shape_type_inference = node
        torch._C._jit_pass_onnx_graph_shape_type_inference = graph


@contextlib.contextmanager
def _no_placeholder_copies():
    """torch.jit's tracer (1.13) keeps a clone of every input and parameter for callers that ask
    for the inputs back; torch.onnx does not. Cloning a zero-strided placeholder materialises the
    whole parameter, so the clones alone would cost the network's float32 size (10 GB for SDXL's
    UNet). Placeholders are handed back as they are; every other clone is untouched."""
    clone = torch.Tensor.clone

    def clone_unless_placeholder(self, *args, **kwargs):
        if self.dim() > 0 and all(st == 0 for st in self.stride()):
            return self
        return clone(self, *args, **kwargs)

    torch.Tensor.clone = clone_unless_placeholder
    try:
        yield
    finally:
        torch.Tensor.clone = clone


def _add_initializer(ex: Exported, name: str, dtype: int, shape) -> TensorProto:
    t = ex.model.graph.initializer.add()
    t.name = name
    t.data_type = dtype
    t.dims.extend(int(d) for d in shape)
    return t


def _initializer(ex: Exported, name: str) -> TensorProto:
    for t in ex.model.graph.initializer:
        if t.name == name:
            return t
    raise KeyError(name)


# ----------------------------------------------------------------------------------------------
# Precision passes
# ----------------------------------------------------------------------------------------------


def _to_half(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -FP16_MAX, FP16_MAX).astype(np.float16)


def _half_tensor(t: TensorProto) -> None:
    arr = numpy_helper.to_array(t)
    t.CopyFrom(numpy_helper.from_array(_to_half(arr), t.name))


def to_fp16(ex: Exported, fp32_scopes: tuple[str, ...] = ()) -> Exported:
    """Everything float16, as a half-precision export: inputs, outputs, weights, activations;
    except nodes under the module scopes in `fp32_scopes` (the timestep sinusoids, float32 in
    diffusers even in half models) and the float inputs Resize requires to be float32."""
    ex = ex.copy()

    def halve(t: TensorProto) -> None:  # weightless: the recipe rounds the data when it is drawn
        t.data_type = HALF
        src, fn = ex.recipes[t.name]
        ex.recipes[t.name] = (src, lambda v, fn=fn: _to_half(fn(v)))

    halve_graph(ex.model, fp32_scopes, halve)
    return ex


def halve_graph(model: onnx.ModelProto, fp32_scopes: tuple[str, ...],
                halve_initializer: Callable[[TensorProto], None]) -> None:
    """to_fp16's rewrite of `model` in place, for graphs with or without weight data:
    `halve_initializer` turns each float initializer that a float16 node reads into float16."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    fp32_nodes: set[int] = {id(n) for n in g.node
                            if any(n.name.startswith(f"/{s}/") for s in fp32_scopes)}
    # Resize's roi and scales must be float32: keep the chain of nodes computing them.
    stack = [n.input[k] for n in g.node if n.op_type == "Resize" for k in (1, 2)
             if len(n.input) > k and n.input[k]]
    while stack:
        p = producer.get(stack.pop())
        if p is None or id(p) in fp32_nodes or p.op_type == "Shape":
            continue
        fp32_nodes.add(id(p))
        stack.extend(i for i in p.input if i)

    inferred = onnx.shape_inference.infer_shapes(model)
    types = {vi.name: vi.type.tensor_type.elem_type
             for vi in list(inferred.graph.value_info) + list(g.input) + list(g.output)}
    for t in g.initializer:
        types[t.name] = t.data_type
    init_names = {t.name for t in g.initializer}
    users: dict[str, list] = defaultdict(list)
    for n in g.node:
        for i in n.input:
            users[i].append(n)

    half_inits = set()
    for t in g.initializer:
        if t.data_type == FLOAT and not all(id(u) in fp32_nodes for u in users[t.name]):
            halve_initializer(t)
            half_inits.add(t.name)
    graph_inputs = {i.name for i in g.input}

    def is_half(name: str) -> bool:
        if name in graph_inputs:
            return types.get(name) == FLOAT
        if name in init_names:
            return name in half_inits
        return id(producer[name]) not in fp32_nodes

    nodes = []
    made: set[str] = set()
    for node in g.node:
        node_half = id(node) not in fp32_nodes
        if node_half:
            for a in node.attribute:
                if node.op_type == "Cast" and a.name == "to" and a.i == FLOAT:
                    a.i = HALF
                if node.op_type in ("Constant", "ConstantOfShape") and a.name == "value" \
                        and a.t.data_type == FLOAT:
                    _half_tensor(a.t)
        if node.op_type != "Shape":
            for k, name in enumerate(node.input):
                if not name or types.get(name) != FLOAT or is_half(name) == node_half:
                    continue
                if node.op_type == "Resize" and k in (1, 2):
                    continue
                cast = f"{name}__to_{'fp16' if node_half else 'fp32'}"
                if cast not in made:
                    made.add(cast)
                    nodes.append(helper.make_node("Cast", [name], [cast], name=f"{cast}_cast",
                                                  to=HALF if node_half else FLOAT))
                node.input[k] = cast
        nodes.append(node)
    del g.node[:]
    g.node.extend(nodes)
    for vi in list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type == FLOAT:
            vi.type.tensor_type.elem_type = HALF
    del g.value_info[:]
    onnx.shape_inference.infer_shapes(model, strict_mode=True)  # raises on a type mismatch


def to_fp16_weights(ex: Exported, min_elements: int = 1024) -> Exported:
    """Float16 weights that the graph casts to float32: half the bytes on disk, float32 math.
    ONNX Runtime folds each Cast of an initializer once, when the session is created."""
    ex = ex.copy()
    g = ex.model.graph
    casts = []
    for t in g.initializer:
        if t.data_type != FLOAT or int(np.prod(t.dims)) < min_elements:
            continue
        name = t.name
        t.name = f"{name}.fp16"
        t.data_type = HALF
        src, fn = ex.recipes.pop(name)
        ex.recipes[t.name] = (src, lambda v, fn=fn: _to_half(fn(v)))
        casts.append(helper.make_node("Cast", [t.name], [name], name=f"{name}_upcast", to=FLOAT))
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return ex


def _int8_scale(v: np.ndarray, axis: int) -> np.ndarray:
    reduce = tuple(i for i in range(v.ndim) if i != axis)
    amax = np.abs(v).max(axis=reduce)
    return (np.maximum(amax, 1e-12) / 127.0).astype(np.float32)


def _int8_values(v: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * v.ndim
    shape[axis] = -1
    q = np.rint(v / _int8_scale(v, axis).reshape(shape))
    return np.clip(q, -127, 127).astype(np.int8)


def to_int8_weights(ex: Exported) -> Exported:
    """Weight-only int8: each MatMul / Gemm / Conv weight stored as int8 with one float32 scale
    per output channel (symmetric, zero point 0), dequantized in the graph by DequantizeLinear."""
    ex = ex.copy()
    g = ex.model.graph
    axis_of: dict[str, int] = {}
    for n in g.node:
        if len(n.input) < 2:
            continue
        w = n.input[1]
        if n.op_type == "MatMul":
            axis_of[w] = 1  # [in, out]
        elif n.op_type == "Conv":
            axis_of[w] = 0  # [out, in, kh, kw]
        elif n.op_type == "Gemm":
            trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
            axis_of[w] = 0 if trans_b else 1
    nodes = []
    for t in list(g.initializer):
        axis = axis_of.get(t.name)
        if axis is None or t.data_type != FLOAT or len(t.dims) < 2:
            continue
        name = t.name
        channels = int(t.dims[axis])
        src, fn = ex.recipes.pop(name)
        t.name = f"{name}.int8"
        t.data_type = INT8
        ex.recipes[t.name] = (src, lambda v, fn=fn, a=axis: _int8_values(fn(v), a))
        _add_initializer(ex, f"{name}.scale", FLOAT, (channels,))
        ex.recipes[f"{name}.scale"] = (src, lambda v, fn=fn, a=axis: _int8_scale(fn(v), a))
        zp = numpy_helper.from_array(np.zeros(channels, np.int8), f"{name}.zero_point")
        g.initializer.append(zp)
        nodes.append(helper.make_node(
            "DequantizeLinear", [t.name, f"{name}.scale", f"{name}.zero_point"], [name],
            name=f"{name}_dequantize", axis=axis))
    all_nodes = nodes + list(g.node)
    del g.node[:]
    g.node.extend(all_nodes)
    return ex


PRECISIONS: dict[str, Callable[..., Exported]] = {
    "fp32": lambda ex, scopes: ex.copy(),
    "fp16": lambda ex, scopes: to_fp16(ex, scopes),
    "fp16w": lambda ex, scopes: to_fp16_weights(ex),
    "int8": lambda ex, scopes: to_int8_weights(ex),
}


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def save(ex: Exported, folder: str, seed: int, producer: str) -> int:
    """Write model.onnx, with model.onnx_data beside it when the weights pass 2 GB (optimum's
    rule). Returns the bytes written. Each parameter is drawn once and every tensor made from it
    is written straight to the data file, so memory holds one parameter at a time."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    data_name = "model.onnx_data"
    data_path = os.path.join(folder, data_name)
    for p in (path, data_path):
        if os.path.exists(p):
            os.remove(p)
    by_source: dict[str, list[TensorProto]] = defaultdict(list)
    tensors = {t.name: t for t in ex.model.graph.initializer}
    for name, (src, _) in ex.recipes.items():
        by_source[src].append(tensors[name])
    with open(data_path, "wb") as data:
        for src, targets in by_source.items():
            values = ex.sources[src].values(seed)
            for t in targets:
                arr = ex.recipes[t.name][1](values)
                assert list(arr.shape) == list(t.dims), (t.name, arr.shape, list(t.dims))
                raw = arr.tobytes()
                if len(raw) < EXTERNAL_THRESHOLD:
                    t.raw_data = raw
                    t.data_location = TensorProto.DEFAULT
                    del t.external_data[:]
                    continue
                offset = data.tell() + (-data.tell() % ALIGN)
                data.seek(offset)
                data.write(raw)
                t.data_location = TensorProto.EXTERNAL
                del t.external_data[:]
                for k, v in (("location", data_name), ("offset", str(offset)),
                             ("length", str(len(raw)))):
                    e = t.external_data.add()
                    e.key, e.value = k, v
            del values
        data_size = data.tell()
    ex.model.producer_name = producer
    ex.model.producer_version = "1"
    with open(path, "wb") as f:
        f.write(ex.model.SerializeToString())
    onnx.checker.check_model(path)
    if data_size <= PROTOBUF_LIMIT - 64 * 1024 ** 2:
        _internalize(path, data_path)
        return os.path.getsize(path)
    return os.path.getsize(path) + data_size


def _internalize(path: str, data_path: str) -> None:
    """Move the external tensors into model.onnx, one tensor at a time. Protobuf merges
    concatenated messages (repeated fields append), so the file is the graph without its
    initializers followed by one small ModelProto per initializer; readers see one model."""
    model = onnx.load(path, load_external_data=False)
    inits = []
    for t in model.graph.initializer:
        inits.append(TensorProto())
        inits[-1].CopyFrom(t)
    del model.graph.initializer[:]
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as out, open(data_path, "rb") as data:
        out.write(model.SerializeToString())
        for t in inits:
            if t.data_location == TensorProto.EXTERNAL:
                info = {e.key: e.value for e in t.external_data}
                data.seek(int(info["offset"]))
                t.raw_data = data.read(int(info["length"]))
                t.data_location = TensorProto.DEFAULT
                del t.external_data[:]
            chunk = onnx.ModelProto()
            chunk.graph.initializer.append(t)
            out.write(chunk.SerializeToString())
            t.ClearField("raw_data")
    os.replace(tmp, path)
    os.remove(data_path)
