"""The sentence model's graph, rewritten so that no call widens the whole model's weights again.

The int8 MiniLM file stores each weight as int8 plus a scale, and widens it in the graph on
every call: ``Cast(int8 → float) → Mul(scale)``, for every matrix and for the 30,522-row word
embedding table. Without onnxruntime's graph optimisations (which fold all of it into float32
once, +120 MB held for good) that costs about 60 ms of CPU and 150 MB of transient memory per
call whatever the batch size: 61 ms for one statement, 5.7 ms per statement in a batch of 64.

This rewrite keeps every product the same (vectors agree with the original graph's to 1e-7):

- an embedding table (only ever read by ``Gather``) stays int8: the rows are gathered first,
  then widened and scaled, together with their own row scales;
- a matrix fed to ``MatMul`` is widened and scaled once, here, into a float32 initializer
  (the six layers' matrices: 42 MB).

Measured on this machine (bench/README.md, "Memory"): 6.6 ms for one statement, 4.7 ms per
statement in a batch of 64; 152 MB RSS with the model loaded and 200 MB after use, against
105 MB loaded, 172 MB after use and a 261 MB peak for the original graph.

It runs in a child process (``python -m bot.reports.model_rewrite SOURCE TARGET``) because
``onnx`` holds the whole graph in Python objects while it works (about 170 MB), which the bot
would keep as resident memory afterwards.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path


def rewrite(source: Path, target: Path) -> None:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    dropped_nodes: set[int] = set()
    inserted: dict[int, list[onnx.NodeProto]] = {}  # before which node (by id)
    dropped_initializers: set[str] = set()
    widened: list[onnx.TensorProto] = []
    for cast in graph.node:
        if cast.op_type != "Cast" or cast.input[0] not in initializers:
            continue
        (scale_node,) = consumers[cast.output[0]]
        if scale_node.op_type != "Mul":
            continue
        quantised, scale = cast.input[0], next(name for name in scale_node.input if name != cast.output[0])
        weight = scale_node.output[0]
        users = consumers[weight]
        if all(user.op_type == "Gather" and user.input[0] == weight for user in users):
            for gather in users:  # gather int8 rows and their scales, widen only those
                rows, out = gather.input[1], gather.output[0]
                axis = [attribute.i for attribute in gather.attribute if attribute.name == "axis"] or [0]
                inserted[id(gather)] = [
                    helper.make_node("Gather", [quantised, rows], [f"{out}_q"], axis=axis[0]),
                    helper.make_node("Gather", [scale, rows], [f"{out}_scale"], axis=axis[0]),
                    helper.make_node("Cast", [f"{out}_q"], [f"{out}_f"], to=onnx.TensorProto.FLOAT),
                    helper.make_node("Mul", [f"{out}_f", f"{out}_scale"], [out]),
                ]
                dropped_nodes.add(id(gather))
        else:  # widen once, here
            values = numpy_helper.to_array(initializers[quantised]).astype(np.float32) * numpy_helper.to_array(initializers[scale])
            widened.append(numpy_helper.from_array(values.astype(np.float32), weight))
            dropped_initializers.update({quantised, scale})
        dropped_nodes.update({id(cast), id(scale_node)})

    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        nodes.extend(inserted.get(id(node), []))
        if id(node) not in dropped_nodes:
            nodes.append(node)
    kept = [tensor for tensor in graph.initializer if tensor.name not in dropped_initializers]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend([*kept, *widened])
    onnx.checker.check_model(model)
    target.write_bytes(model.SerializeToString())


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]), Path(sys.argv[2]))
