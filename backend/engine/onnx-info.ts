// What an ONNX file declares, read without loading it: its inputs' element types, the operators
// it uses (with their domains), and the external data files its weights live in.
//
// Written by hand because protobuf libraries decode whole messages, and a weights-inline UNet is
// a 1.7 GB message; this walks the wire format with positioned reads and skips every weight by
// its length prefix, so listing a model folder reads a few hundred kilobytes at most.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** TensorProto.DataType values that matter for precision. */
export const ELEM_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  6: "int32",
  7: "int64",
  10: "float16",
  11: "float64",
  16: "bfloat16",
};

export interface OnnxInfo {
  /** Graph inputs (not initializers) with their element type, e.g. sample → float32. */
  inputs: Array<{ name: string; type: string }>;
  /** Operators as "domain:op_type"; the default domain is written "ai.onnx". */
  operators: Set<string>;
  /** Opset per domain. */
  opsets: Map<string, number>;
  /** Element types of the initializers (weights), with their counts. */
  weightTypes: Map<string, number>;
  /** Files, relative to the model file's folder, that hold external weights. */
  externalFiles: Set<string>;
}

/** Buffered forward reads from a file descriptor at arbitrary positions. */
class Cursor {
  private buf = Buffer.alloc(64 * 1024);
  private bufStart = 0;
  private bufEnd = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly size: number
  ) {}

  private fill(): void {
    this.bufStart = this.pos;
    this.bufEnd = this.pos + readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
    if (this.bufEnd <= this.pos) throw new Error(`unexpected end of file at byte ${this.pos}`);
  }

  byte(): number {
    if (this.pos < this.bufStart || this.pos >= this.bufEnd) this.fill();
    return this.buf[this.pos++ - this.bufStart];
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new Error(`malformed varint at byte ${this.pos}`);
  }

  string(length: number): string {
    if (length > 1 << 20)
      throw new Error(`implausible string of ${length} bytes at byte ${this.pos}`);
    if (this.pos >= this.bufStart && this.pos + length <= this.bufEnd) {
      const start = this.pos - this.bufStart;
      this.pos += length;
      return this.buf.toString("utf8", start, start + length);
    }
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.byte();
    return out.toString("utf8");
  }

  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.size) throw new Error("field runs past the end of the file");
  }
}

type Handler = (field: number, c: Cursor, end: number) => boolean;

/**
 * Calls `onLengthDelimited(field, cursor, end)` for each length-delimited field of the message
 * in [c.pos, end), and `onVarint(field, value)` for varints; everything else is skipped, and so is
 * whatever of a field its handler leaves unread (handlers return false for fields they ignore).
 */
function walk(
  c: Cursor,
  end: number,
  onLengthDelimited: Handler,
  onVarint?: (field: number, value: number) => void
): void {
  while (c.pos < end) {
    const tag = c.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = c.varint();
      onVarint?.(field, v);
    } else if (wire === 1) c.skip(8);
    else if (wire === 5) c.skip(4);
    else if (wire === 2) {
      const length = c.varint();
      const fieldEnd = c.pos + length;
      if (fieldEnd > end) throw new Error(`field ${field} runs past its message`);
      onLengthDelimited(field, c, fieldEnd);
      c.pos = fieldEnd;
    } else throw new Error(`unsupported wire type ${wire} at byte ${c.pos}`);
  }
}

function readNode(c: Cursor, end: number, info: OnnxInfo): void {
  let op = "";
  let domain = "";
  walk(c, end, (field, cur, fieldEnd) => {
    if (field === 4) op = cur.string(fieldEnd - cur.pos);
    else if (field === 7) domain = cur.string(fieldEnd - cur.pos);
    else return false;
    return true;
  });
  info.operators.add(`${domain || "ai.onnx"}:${op}`);
}

function readInitializer(c: Cursor, end: number, info: OnnxInfo): void {
  let type = 0;
  walk(
    c,
    end,
    (field, cur, fieldEnd) => {
      if (field !== 13) return false; // external_data: StringStringEntryProto {key, value}
      let key = "";
      let value = "";
      walk(cur, fieldEnd, (f, cc, e) => {
        if (f === 1) key = cc.string(e - cc.pos);
        else if (f === 2) value = cc.string(e - cc.pos);
        else return false;
        return true;
      });
      if (key === "location") info.externalFiles.add(value);
      return true;
    },
    (field, value) => {
      if (field === 2) type = value;
    }
  );
  const name = ELEM_TYPES[type] ?? `type${type}`;
  info.weightTypes.set(name, (info.weightTypes.get(name) ?? 0) + 1);
}

function readInput(c: Cursor, end: number): { name: string; type: string } {
  let name = "";
  let type = 0;
  walk(c, end, (field, cur, fieldEnd) => {
    if (field === 1) name = cur.string(fieldEnd - cur.pos);
    else if (field === 2) {
      // TypeProto.tensor_type (1) → Tensor.elem_type (1)
      walk(cur, fieldEnd, (f, cc, e) => {
        if (f !== 1) return false;
        walk(
          cc,
          e,
          () => false,
          (ff, v) => {
            if (ff === 1) type = v;
          }
        );
        return true;
      });
    } else return false;
    return true;
  });
  return { name, type: ELEM_TYPES[type] ?? `type${type}` };
}

function readGraph(c: Cursor, end: number, info: OnnxInfo): void {
  const initializers = new Set<string>();
  const inputs: OnnxInfo["inputs"] = [];
  walk(c, end, (field, cur, fieldEnd) => {
    if (field === 1) readNode(cur, fieldEnd, info);
    else if (field === 5) {
      const start = cur.pos;
      readInitializer(cur, fieldEnd, info);
      // Old exporters also list initializers as graph inputs; remember their names to drop them.
      cur.pos = start;
      walk(cur, fieldEnd, (f, cc, e) => {
        if (f !== 8) return false;
        initializers.add(cc.string(e - cc.pos));
        return true;
      });
    } else if (field === 11) inputs.push(readInput(cur, fieldEnd));
    else return false;
    return true;
  });
  info.inputs.push(...inputs.filter((i) => !initializers.has(i.name)));
}

/** Reads what an ONNX model file declares; throws if it is not a readable ONNX protobuf. */
export function readOnnxInfo(path: string): OnnxInfo {
  const fd = openSync(path, "r");
  try {
    const c = new Cursor(fd, fstatSync(fd).size);
    const info: OnnxInfo = {
      inputs: [],
      operators: new Set(),
      opsets: new Map(),
      weightTypes: new Map(),
      externalFiles: new Set(),
    };
    let sawGraph = false;
    walk(c, c.size, (field, cur, fieldEnd) => {
      if (field === 7) {
        sawGraph = true;
        readGraph(cur, fieldEnd, info);
      } else if (field === 8) {
        let domain = "";
        let version = 0;
        walk(
          cur,
          fieldEnd,
          (f, cc, e) => {
            if (f !== 1) return false;
            domain = cc.string(e - cc.pos);
            return true;
          },
          (f, v) => {
            if (f === 2) version = v;
          }
        );
        info.opsets.set(domain || "ai.onnx", version);
      } else return false;
      return true;
    });
    if (!sawGraph) throw new Error("no graph");
    return info;
  } finally {
    closeSync(fd);
  }
}
