using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CortexBot.Cerebellum.Learning.Onnx.Proto;

namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>An ONNX initializer read into managed memory: float32 or int64 data with its dimensions.</summary>
internal sealed record OnnxConstant(string Name, int[] Dims, float[]? Floats, long[]? Int64s)
{
    public int Size => Dims.Aggregate(1, (p, d) => p * d);
    public string Shape => $"[{string.Join(", ", Dims)}]";
}

/// <summary>
/// Runs an ONNX graph for one sample (batch 1) in plain C#, for the op types the policy exporter emits: MatMul with a
/// 2-D right operand, Add/Sub/Mul/Div with broadcasting of a scalar or an equal-sized operand, Relu, Reshape, Identity.
/// Compiled once: shapes are inferred from the inputs, each node becomes a step over preallocated buffers (a buffer is
/// reused once every value in it is dead; Reshape and Identity alias their input), so <see cref="Run"/> allocates
/// nothing. Anything else is refused at compile time with the node and the reason, never guessed at run time.
/// </summary>
internal sealed class ManagedGraph
{
    public static readonly string[] SupportedOps = ["MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Reshape", "Identity"];

    private readonly Step[] _steps;
    private readonly float[] _output;
    private readonly int _outputSize;

    /// <summary>The shape of the graph output the graph was compiled for.</summary>
    public int[] OutputShape { get; }

    /// <summary>Buffers allocated for intermediate values (after reuse), for diagnostics.</summary>
    public int Buffers { get; }
    public int Steps => _steps.Length;

    private ManagedGraph(Step[] steps, float[] output, int[] outputShape, int buffers)
    {
        _steps = steps;
        _output = output;
        OutputShape = outputShape;
        _outputSize = outputShape.Aggregate(1, (p, d) => p * d);
        Buffers = buffers;
    }

    /// <summary>Runs every step; the returned span (the graph output) is valid until the next call.</summary>
    public ReadOnlySpan<float> Run()
    {
        foreach (var s in _steps) s.Run();
        return _output.AsSpan(0, _outputSize);
    }

    /// <summary>Reads every initializer; <paramref name="fail"/> must throw.</summary>
    public static Dictionary<string, OnnxConstant> ReadInitializers(GraphProto graph, Action<string> fail)
    {
        var result = new Dictionary<string, OnnxConstant>();
        foreach (var t in graph.Initializer)
        {
            var dims = new int[t.Dims.Count];
            long size = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                if (t.Dims[i] < 0 || t.Dims[i] > int.MaxValue) fail($"initializer '{t.Name}' has dimension {t.Dims[i]}");
                dims[i] = (int)t.Dims[i];
                size *= dims[i];
            }
            if (size > int.MaxValue) fail($"initializer '{t.Name}' is too large ({size} values)");
            float[]? floats = null;
            long[]? longs = null;
            var raw = t.RawData.Span;
            switch ((TensorProto.Types.DataType)t.DataType)
            {
                case TensorProto.Types.DataType.Float:
                    // raw_data is little-endian by the ONNX spec, like every machine this runs on.
                    floats = raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : [.. t.FloatData];
                    if (raw.Length % 4 != 0 || floats.Length != size) fail($"initializer '{t.Name}' holds {(raw.Length > 0 ? raw.Length / 4.0 : floats.Length)} floats for shape [{string.Join(", ", dims)}]");
                    break;
                case TensorProto.Types.DataType.Int64:
                    longs = raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : [.. t.Int64Data];
                    if (raw.Length % 8 != 0 || longs.Length != size) fail($"initializer '{t.Name}' holds {longs.Length} int64 values for shape [{string.Join(", ", dims)}]");
                    break;
                default:
                    fail($"initializer '{t.Name}' has ONNX data type {t.DataType}; only float32 and int64 are supported");
                    break;
            }
            if (!result.TryAdd(t.Name, new OnnxConstant(t.Name, dims, floats, longs))) fail($"initializer '{t.Name}' is defined twice");
        }
        return result;
    }

    /// <summary>
    /// Compiles <paramref name="graph"/> for the given input buffers (name → buffer, shape; read by every <see cref="Run"/>).
    /// <paramref name="fail"/> must throw; it receives the reason the graph cannot run.
    /// </summary>
    public static ManagedGraph Compile(GraphProto graph, IReadOnlyDictionary<string, OnnxConstant> constants,
        IReadOnlyDictionary<string, (float[] Buffer, int[] Shape)> inputs, string output, Action<string> fail)
    {
        var values = new Dictionary<string, Value>();
        foreach (var (name, c) in constants)
            if (c.Floats is not null) values[name] = new Value(new Slot(c.Floats, pinned: true), c.Dims);
        var int64s = constants.Values.Where(c => c.Int64s is not null).ToDictionary(c => c.Name);
        foreach (var (name, (buffer, shape)) in inputs) values[name] = new Value(new Slot(buffer, pinned: true), shape);

        var lastUse = new Dictionary<string, int>();
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var x in graph.Node[i].Input) lastUse[x] = i;
        var free = new List<Slot>();
        int allocated = 0;
        Slot Take(int size)
        {
            int best = -1;
            for (int i = 0; i < free.Count; i++)
                if (free[i].Data.Length >= size && (best < 0 || free[i].Data.Length < free[best].Data.Length)) best = i;
            if (best < 0) { allocated++; return new Slot(new float[Math.Max(1, size)], pinned: false); }
            var s = free[best];
            free.RemoveAt(best);
            return s;
        }
        void Release(Slot s)
        {
            if (s.Pinned) return;
            if (--s.Live == 0) free.Add(s);
        }

        var steps = new List<Step>();
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            string op = node.OpType;
            string label = string.IsNullOrEmpty(node.Name) ? $"#{i}" : $"'{node.Name}'";
            void Bad(string why) => fail($"node {label} ({op}): {why}");
            if (node.Domain is not ("" or "ai.onnx")) Bad($"operator domain '{node.Domain}' is not the standard ONNX domain");
            if (Array.IndexOf(SupportedOps, op) < 0)
                Bad($"op type '{op}' is not implemented by the managed runtime (it runs {string.Join(", ", SupportedOps)})");
            int arity = op is "Relu" or "Identity" ? 1 : 2;
            if (node.Input.Count != arity || node.Output.Count != 1) Bad($"expected {arity} input(s) and 1 output, got {node.Input.Count} and {node.Output.Count}");
            foreach (var attr in node.Attribute)
                if (!(op == "Reshape" && attr.Name == "allowzero" && attr.I == 0)) Bad($"attribute '{attr.Name}' is not supported");
            string outName = node.Output[0];
            if (values.ContainsKey(outName) || int64s.ContainsKey(outName)) Bad($"output '{outName}' is already defined (the graph is not in SSA form)");

            Value In(int j)
            {
                var name = node.Input[j];
                if (values.TryGetValue(name, out var v)) return v;
                Bad(int64s.ContainsKey(name) ? $"input '{name}' is int64 where float32 is needed" : $"input '{name}' is not defined by any earlier node, graph input or initializer");
                throw new UnreachableException();
            }

            Value result;
            switch (op)
            {
                case "MatMul":
                {
                    var a = In(0);
                    var b = In(1);
                    if (b.Shape.Length != 2) Bad($"right operand '{node.Input[1]}' has shape {Show(b.Shape)}; only 2-D is supported");
                    int k = b.Shape[0], n = b.Shape[1];
                    if (a.Shape.Length == 0 || a.Shape[^1] != k) Bad($"shapes {Show(a.Shape)} and {Show(b.Shape)} do not multiply");
                    if (a.Size != k) Bad($"left operand {Show(a.Shape)} has more than one row; the managed runtime runs one sample");
                    int[] shape = [.. a.Shape[..^1], n];
                    result = new Value(Take(n), shape);
                    steps.Add(new MatVecStep(a.Slot.Data, b.Slot.Data, k, n, result.Slot.Data));
                    break;
                }
                case "Add" or "Sub" or "Mul" or "Div":
                {
                    var a = In(0);
                    var b = In(1);
                    var shape = Broadcast(a.Shape, b.Shape);
                    if (shape is null) Bad($"shapes {Show(a.Shape)} and {Show(b.Shape)} do not broadcast");
                    int size = Size(shape!);
                    if ((a.Size != size && a.Size != 1) || (b.Size != size && b.Size != 1))
                        Bad($"broadcasting {Show(a.Shape)} with {Show(b.Shape)} repeats more than a scalar; not supported");
                    result = new Value(Take(size), shape!);
                    var kind = op switch { "Add" => Arith.Add, "Sub" => Arith.Sub, "Mul" => Arith.Mul, _ => Arith.Div };
                    steps.Add(new ElementwiseStep(kind, a.Slot.Data, a.Size == 1 && size != 1, b.Slot.Data, b.Size == 1 && size != 1, result.Slot.Data, size));
                    break;
                }
                case "Relu":
                {
                    var a = In(0);
                    result = new Value(Take(a.Size), a.Shape);
                    steps.Add(new ReluStep(a.Slot.Data, result.Slot.Data, a.Size));
                    break;
                }
                case "Reshape":
                {
                    var a = In(0);
                    if (!int64s.TryGetValue(node.Input[1], out var target)) { Bad($"shape '{node.Input[1]}' must be an int64 initializer"); throw new UnreachableException(); }
                    var shape = ReshapeTo(a.Shape, target.Int64s!);
                    if (shape is null) Bad($"cannot reshape {Show(a.Shape)} to [{string.Join(", ", target.Int64s!)}]");
                    result = new Value(a.Slot, shape!);
                    break;
                }
                default: // Identity
                    var src = In(0);
                    result = new Value(src.Slot, src.Shape);
                    break;
            }
            result.Slot.Live++;
            if (outName == output) result.Slot.Pinned = true; // the caller reads it after Run: never reused
            values[outName] = result;
            foreach (var x in node.Input.Distinct())
                if (lastUse[x] == i && values.TryGetValue(x, out var dead)) Release(dead.Slot);
            if (!lastUse.ContainsKey(outName)) Release(result.Slot); // never read: its buffer is free again at once
        }

        if (!values.TryGetValue(output, out var final) || inputs.ContainsKey(output) || constants.ContainsKey(output))
            fail($"no node computes the output '{output}'");
        return new ManagedGraph([.. steps], final!.Slot.Data, final.Shape, allocated);
    }

    private static int Size(int[] shape) => shape.Aggregate(1, (p, d) => p * d);
    private static string Show(int[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Numpy-style broadcast shape, or null when the shapes do not broadcast.</summary>
    private static int[]? Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da != db && da != 1 && db != 1) return null;
            s[i] = Math.Max(da, db);
        }
        return s;
    }

    /// <summary>ONNX Reshape (allowzero = 0): 0 copies the input dimension, one -1 takes the rest.</summary>
    private static int[]? ReshapeTo(int[] input, long[] target)
    {
        int size = Size(input), known = 1, infer = -1;
        var s = new int[target.Length];
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == -1) { if (infer >= 0) return null; infer = i; continue; }
            if (d == 0) { if (i >= input.Length) return null; d = input[i]; }
            if (d < 0 || d > int.MaxValue) return null;
            s[i] = (int)d;
            known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || size % known != 0) return null;
            s[infer] = size / known;
        }
        return Size(s) == size ? s : null;
    }

    private sealed class Slot(float[] data, bool pinned)
    {
        public float[] Data { get; } = data;
        /// <summary>Graph inputs, initializers and the graph output: never handed to another value.</summary>
        public bool Pinned { get; set; } = pinned;
        public int Live { get; set; }
    }

    private sealed record Value(Slot Slot, int[] Shape)
    {
        public int Size { get; } = Shape.Aggregate(1, (p, d) => p * d);
    }

    private abstract class Step
    {
        public abstract void Run();
    }

    private sealed class MatVecStep(float[] a, float[] w, int k, int n, float[] y) : Step
    {
        private readonly int[] _rows = new int[k];
        private readonly float[] _coef = new float[k];
        public override void Run() => MatVec.Multiply(a.AsSpan(0, k), w.AsSpan(0, k * n), n, y.AsSpan(0, n), _rows, _coef);
    }

    private enum Arith { Add, Sub, Mul, Div }

    private sealed class ElementwiseStep(Arith kind, float[] a, bool aScalar, float[] b, bool bScalar, float[] y, int n) : Step
    {
        public override void Run()
        {
            var d = y.AsSpan(0, n);
            if (bScalar)
            {
                var x = a.AsSpan(0, aScalar ? 1 : n);
                float s = b[0];
                if (aScalar) { d.Fill(Apply(kind, x[0], s)); return; }
                switch (kind)
                {
                    case Arith.Add: TensorPrimitives.Add(x, s, d); break;
                    case Arith.Sub: TensorPrimitives.Subtract(x, s, d); break;
                    case Arith.Mul: TensorPrimitives.Multiply(x, s, d); break;
                    default: TensorPrimitives.Divide(x, s, d); break;
                }
            }
            else if (aScalar)
            {
                var x = b.AsSpan(0, n);
                float s = a[0];
                switch (kind)
                {
                    case Arith.Add: TensorPrimitives.Add(x, s, d); break;
                    case Arith.Sub: TensorPrimitives.Subtract(s, x, d); break;
                    case Arith.Mul: TensorPrimitives.Multiply(x, s, d); break;
                    default: TensorPrimitives.Divide(s, x, d); break;
                }
            }
            else
            {
                var x = a.AsSpan(0, n);
                var z = b.AsSpan(0, n);
                switch (kind)
                {
                    case Arith.Add: TensorPrimitives.Add(x, z, d); break;
                    case Arith.Sub: TensorPrimitives.Subtract(x, z, d); break;
                    case Arith.Mul: TensorPrimitives.Multiply(x, z, d); break;
                    default: TensorPrimitives.Divide(x, z, d); break;
                }
            }
        }

        private static float Apply(Arith kind, float x, float z) => kind switch
        {
            Arith.Add => x + z, Arith.Sub => x - z, Arith.Mul => x * z, _ => x / z,
        };
    }

    private sealed class ReluStep(float[] x, float[] y, int n) : Step
    {
        public override void Run() => TensorPrimitives.Max(x.AsSpan(0, n), 0f, y.AsSpan(0, n));
    }
}

/// <summary>Row vector times matrix, y = a·W with W row-major [k, n], the shape of every MatMul in a policy.</summary>
internal static class MatVec
{
    /// <summary>
    /// Rows of W whose coefficient is zero are skipped (after a ReLU about half of them): adding 0·w changes no sum, so
    /// the result is the dense product's. Blocks of output columns accumulate in registers across the remaining rows in
    /// order (one pass over W, no store of y per row), the widest vectors the JIT accelerates first, the column remainder
    /// in narrower blocks and finally scalars. <paramref name="rows"/> and <paramref name="coef"/> are scratch of length k.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> w, int n, Span<float> y, Span<int> rows, Span<float> coef)
    {
        int k = a.Length;
        if (w.Length < k * n || y.Length < n || rows.Length < k || coef.Length < k)
            throw new ArgumentException($"MatVec: W has {w.Length} values for [{k}, {n}], y has {y.Length}, scratch {rows.Length}/{coef.Length}");
        int m = 0;
        for (int i = 0; i < k; i++)
        {
            // Branch-free: whether a ReLU output is zero is a coin flip the predictor cannot learn.
            float v = a[i];
            rows[m] = i;
            coef[m] = v;
            m += v != 0 ? 1 : 0;
        }
        var r = rows[..m];
        var x = coef[..m];
        ref float wr = ref MemoryMarshal.GetReference(w);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= n; j += 64) Block512x4(r, x, ref wr, n, j, ref yr);
            for (; j + 16 <= n; j += 16) Block512x1(r, x, ref wr, n, j, ref yr);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 32 <= n; j += 32) Block256x4(r, x, ref wr, n, j, ref yr);
            for (; j + 8 <= n; j += 8) Block256x1(r, x, ref wr, n, j, ref yr);
        }
        for (; j < n; j++)
        {
            float s = 0;
            for (int t = 0; t < m; t++) s += x[t] * w[r[t] * n + j];
            y[j] = s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block512x4(ReadOnlySpan<int> rows, ReadOnlySpan<float> a, ref float w, int n, int j, ref float y)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int t = 0; t < rows.Length; t++)
        {
            nuint off = (nuint)(rows[t] * n + j);
            var x = Vector512.Create(a[t]);
            s0 = Vector512.MultiplyAddEstimate(x, Vector512.LoadUnsafe(ref w, off), s0);
            s1 = Vector512.MultiplyAddEstimate(x, Vector512.LoadUnsafe(ref w, off + 16), s1);
            s2 = Vector512.MultiplyAddEstimate(x, Vector512.LoadUnsafe(ref w, off + 32), s2);
            s3 = Vector512.MultiplyAddEstimate(x, Vector512.LoadUnsafe(ref w, off + 48), s3);
        }
        s0.StoreUnsafe(ref y, (nuint)j);
        s1.StoreUnsafe(ref y, (nuint)j + 16);
        s2.StoreUnsafe(ref y, (nuint)j + 32);
        s3.StoreUnsafe(ref y, (nuint)j + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block512x1(ReadOnlySpan<int> rows, ReadOnlySpan<float> a, ref float w, int n, int j, ref float y)
    {
        Vector512<float> s0 = default;
        for (int t = 0; t < rows.Length; t++)
            s0 = Vector512.MultiplyAddEstimate(Vector512.Create(a[t]), Vector512.LoadUnsafe(ref w, (nuint)(rows[t] * n + j)), s0);
        s0.StoreUnsafe(ref y, (nuint)j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256x4(ReadOnlySpan<int> rows, ReadOnlySpan<float> a, ref float w, int n, int j, ref float y)
    {
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int t = 0; t < rows.Length; t++)
        {
            nuint off = (nuint)(rows[t] * n + j);
            var x = Vector256.Create(a[t]);
            s0 = Vector256.MultiplyAddEstimate(x, Vector256.LoadUnsafe(ref w, off), s0);
            s1 = Vector256.MultiplyAddEstimate(x, Vector256.LoadUnsafe(ref w, off + 8), s1);
            s2 = Vector256.MultiplyAddEstimate(x, Vector256.LoadUnsafe(ref w, off + 16), s2);
            s3 = Vector256.MultiplyAddEstimate(x, Vector256.LoadUnsafe(ref w, off + 24), s3);
        }
        s0.StoreUnsafe(ref y, (nuint)j);
        s1.StoreUnsafe(ref y, (nuint)j + 8);
        s2.StoreUnsafe(ref y, (nuint)j + 16);
        s3.StoreUnsafe(ref y, (nuint)j + 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block256x1(ReadOnlySpan<int> rows, ReadOnlySpan<float> a, ref float w, int n, int j, ref float y)
    {
        Vector256<float> s0 = default;
        for (int t = 0; t < rows.Length; t++)
            s0 = Vector256.MultiplyAddEstimate(Vector256.Create(a[t]), Vector256.LoadUnsafe(ref w, (nuint)(rows[t] * n + j)), s0);
        s0.StoreUnsafe(ref y, (nuint)j);
    }
}
