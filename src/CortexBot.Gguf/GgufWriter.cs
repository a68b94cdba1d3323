using System.Text;

namespace CortexBot.Gguf;

/// <summary>GGUF metadata value types (the numbers written in the file).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>ggml tensor types this writer emits.</summary>
public enum GgmlType : uint { F32 = 0, F16 = 1 }

/// <summary>
/// Writes a GGUF version 3 file: header, metadata key/values, tensor infos, then the tensor data, each aligned to
/// <see cref="Alignment"/> bytes. Tensor dimensions are given in ggml order (row length first).
/// </summary>
public sealed class GgufWriter
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const uint Version = 3;
    public const int Alignment = 32;

    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = [];
    private readonly List<(string Name, ulong[] Dims, GgmlType Type, float[] Data)> _tensors = [];

    public GgufWriter Add(string key, string value) => AddKv(key, GgufValueType.String, value);
    public GgufWriter Add(string key, uint value) => AddKv(key, GgufValueType.UInt32, value);
    public GgufWriter Add(string key, int value) => AddKv(key, GgufValueType.Int32, value);
    public GgufWriter Add(string key, float value) => AddKv(key, GgufValueType.Float32, value);
    public GgufWriter Add(string key, bool value) => AddKv(key, GgufValueType.Bool, value);
    public GgufWriter Add(string key, IReadOnlyList<string> values) => AddKv(key, GgufValueType.Array, (GgufValueType.String, (object)values));
    public GgufWriter Add(string key, IReadOnlyList<float> values) => AddKv(key, GgufValueType.Array, (GgufValueType.Float32, (object)values));
    public GgufWriter Add(string key, IReadOnlyList<int> values) => AddKv(key, GgufValueType.Array, (GgufValueType.Int32, (object)values));

    private GgufWriter AddKv(string key, GgufValueType type, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_metadata.Any(m => m.Key == key)) throw new ArgumentException($"metadata key '{key}' is already set", nameof(key));
        _metadata.Add((key, type, value));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="dims"/> in ggml order, <paramref name="data"/> row-major in that order.</summary>
    public GgufWriter AddTensor(string name, ulong[] dims, float[] data, GgmlType type = GgmlType.F32)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(data);
        if (dims.Length is < 1 or > 4) throw new ArgumentException("a tensor has 1 to 4 dimensions", nameof(dims));
        ulong count = dims.Aggregate(1UL, (a, d) => a * d);
        if (count != (ulong)data.Length) throw new ArgumentException($"tensor {name}: dims give {count} elements, data has {data.Length}", nameof(data));
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor '{name}' is already added", nameof(name));
        _tensors.Add((name, dims, type, data));
        return this;
    }

    public void WriteTo(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // Write to a temporary name and move, so a reader never sees a half-written model.
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            WriteTo(stream);
        File.Move(tmp, path, overwrite: true);
    }

    public void WriteTo(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)type);
            WriteValue(w, type, value);
        }

        ulong offset = 0;
        var offsets = new ulong[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            offsets[i] = offset;
            offset = Align(offset + ByteSize(t.Type, (ulong)t.Data.Length));
        }
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) w.Write(d);
            w.Write((uint)t.Type);
            w.Write(offsets[i]);
        }
        Pad(w);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            if (t.Type == GgmlType.F32)
                foreach (var f in t.Data) w.Write(f);
            else
                foreach (var f in t.Data) w.Write((Half)f);
            Pad(w);
        }
        w.Flush();
    }

    private static ulong ByteSize(GgmlType type, ulong count) => type == GgmlType.F32 ? count * 4 : count * 2;

    private static ulong Align(ulong n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        long pos = w.BaseStream.Position;
        long pad = (long)Align((ulong)pos) - pos;
        for (long i = 0; i < pad; i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.Array:
                var (elementType, items) = ((GgufValueType, object))value;
                w.Write((uint)elementType);
                switch (items)
                {
                    case IReadOnlyList<string> strings:
                        w.Write((ulong)strings.Count);
                        foreach (var s in strings) WriteString(w, s);
                        break;
                    case IReadOnlyList<float> floats:
                        w.Write((ulong)floats.Count);
                        foreach (var f in floats) w.Write(f);
                        break;
                    case IReadOnlyList<int> ints:
                        w.Write((ulong)ints.Count);
                        foreach (var n in ints) w.Write(n);
                        break;
                    default: throw new NotSupportedException($"array of {items.GetType().Name}");
                }
                break;
            default: throw new NotSupportedException($"metadata type {type}");
        }
    }
}
