using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;

namespace CortexBot.Core.Messages;

/// <summary>
/// The compact motion trace of one episode: the measured joint positions (rad) and gripper opening (m) sampled every
/// <see cref="SamplePeriodS"/> of robot time, sample 0 at the episode's start (the clock of <see cref="StepRecord.StartedAtS"/>).
/// </summary>
/// <remarks>
/// Stored as one blob, little-endian (<see cref="Encode"/>):
/// <code>
/// offset  size  field
///      0     4  magic "CBTR"
///      4     2  format version (1)
///      6     2  J, joints (1..32)
///      8     8  control rate in Hz the episode ran at (float64, > 0)
///     16     8  sample period in seconds (float64, > 0)
///     24     4  N, samples (0..MaxSamples)
///     28         J joint names, each a 1-byte length and that many UTF-8 bytes
///      …  N*(J+1)*4  samples: per sample J joint positions (float32, rad) in name order, then the gripper opening (float32, m)
/// </code>
/// Format 2 (written only when objects were traced) adds the objects' poses for replays and videos: after the joint names a
/// 2-byte count K and K object names (as joint names), and after the joint samples N*K*7*4 bytes: per sample and object the
/// world position (x, y, z, m) and orientation (w, x, y, z) as float32, NaN where the pose was unknown.
/// A 6-joint arm at 25 Hz takes 28 bytes per sample: 7 KB for a 10 s episode; at most <see cref="MaxSamples"/>
/// samples (6 minutes at 25 Hz, 252 KB) are kept, later motion is not traced.
/// </remarks>
public sealed class EpisodeTrace
{
    public const ushort FormatVersion = 1;
    /// <summary>The format with object poses.</summary>
    public const ushort FormatVersionWithObjects = 2;
    public const int MaxObjects = 64;
    /// <summary>Floats per object pose: position x, y, z, orientation w, x, y, z.</summary>
    public const int PoseWidth = 7;
    public const int MaxJoints = 32;
    public const int MaxSamples = 9000;
    private static ReadOnlySpan<byte> Magic => "CBTR"u8;

    private readonly float[] _samples;
    private readonly float[] _objectPoses;

    public EpisodeTrace(ImmutableArray<string> jointNames, double controlRateHz, double samplePeriodS, float[] samples,
        ImmutableArray<string> objectNames = default, float[]? objectPoses = null)
    {
        if (!(double.IsFinite(controlRateHz) && controlRateHz > 0))
            throw new ArgumentException($"the control rate must be positive, got {controlRateHz}");
        if (jointNames.IsDefaultOrEmpty || jointNames.Length > MaxJoints)
            throw new ArgumentException($"a trace needs 1 to {MaxJoints} joints, got {(jointNames.IsDefault ? 0 : jointNames.Length)}");
        if (jointNames.Any(n => string.IsNullOrEmpty(n) || Encoding.UTF8.GetByteCount(n) > 255))
            throw new ArgumentException("joint names must be 1 to 255 UTF-8 bytes");
        if (!(double.IsFinite(samplePeriodS) && samplePeriodS > 0))
            throw new ArgumentException($"the sample period must be positive, got {samplePeriodS}");
        ArgumentNullException.ThrowIfNull(samples);
        int width = jointNames.Length + 1;
        if (samples.Length % width != 0)
            throw new ArgumentException($"{samples.Length} values are not whole samples of {width}");
        if (samples.Length / width > MaxSamples)
            throw new ArgumentException($"a trace holds at most {MaxSamples} samples, got {samples.Length / width}");
        objectNames = objectNames.IsDefault ? [] : objectNames;
        if (objectNames.Length > MaxObjects)
            throw new ArgumentException($"a trace holds at most {MaxObjects} objects, got {objectNames.Length}");
        if (objectNames.Any(n => string.IsNullOrEmpty(n) || Encoding.UTF8.GetByteCount(n) > 255))
            throw new ArgumentException("object names must be 1 to 255 UTF-8 bytes");
        objectPoses ??= [];
        int count = samples.Length / width;
        if (objectPoses.Length != count * objectNames.Length * PoseWidth)
            throw new ArgumentException($"{objectPoses.Length} object pose values do not fit {count} samples of {objectNames.Length} objects");
        JointNames = jointNames;
        ObjectNames = objectNames;
        _objectPoses = objectPoses;
        ControlRateHz = controlRateHz;
        SamplePeriodS = samplePeriodS;
        _samples = samples;
    }

    public ImmutableArray<string> JointNames { get; }

    /// <summary>The objects whose poses were traced with the joints (empty in format 1).</summary>
    public ImmutableArray<string> ObjectNames { get; }

    /// <summary>The control loop's rate during the episode (a replay runs at the same rate).</summary>
    public double ControlRateHz { get; }

    public double SamplePeriodS { get; }

    public int Joints => JointNames.Length;

    public int Count => _samples.Length / (Joints + 1);

    /// <summary>Robot time of the last sample (0 for an empty trace).</summary>
    public double DurationS => Count == 0 ? 0 : (Count - 1) * SamplePeriodS;

    public double TimeOf(int sample) => sample * SamplePeriodS;

    public float Joint(int sample, int joint) => _samples[sample * (Joints + 1) + joint];

    public float Gripper(int sample) => _samples[sample * (Joints + 1) + Joints];

    /// <summary>The pose of object <paramref name="obj"/> (index into <see cref="ObjectNames"/>) at <paramref name="sample"/>; false where it was unknown.</summary>
    public bool TryGetObjectPose(int sample, int obj, out Geometry.Pose pose)
    {
        var v = _objectPoses.AsSpan((sample * ObjectNames.Length + obj) * PoseWidth, PoseWidth);
        pose = new Geometry.Pose(new Geometry.Vec3(v[0], v[1], v[2]), new Geometry.Quat(v[3], v[4], v[5], v[6]));
        foreach (var x in v) if (!float.IsFinite(x)) return false;
        return true;
    }

    /// <summary>A copy of the raw values (per sample: joints, then gripper).</summary>
    public float[] CopySamples() => (float[])_samples.Clone();

    public int EncodedLength => 28 + JointNames.Sum(n => 1 + Encoding.UTF8.GetByteCount(n)) + _samples.Length * sizeof(float)
        + (ObjectNames.IsEmpty ? 0 : 2 + ObjectNames.Sum(n => 1 + Encoding.UTF8.GetByteCount(n)) + _objectPoses.Length * sizeof(float));

    public byte[] Encode()
    {
        var blob = new byte[EncodedLength];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        // Format 1 unless objects were traced, so traces without them stay readable by older versions.
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], ObjectNames.IsEmpty ? FormatVersion : FormatVersionWithObjects);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)Joints);
        BinaryPrimitives.WriteDoubleLittleEndian(span[8..], ControlRateHz);
        BinaryPrimitives.WriteDoubleLittleEndian(span[16..], SamplePeriodS);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], Count);
        int at = 28;
        foreach (var name in JointNames) at = WriteName(span, at, name);
        if (!ObjectNames.IsEmpty)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)ObjectNames.Length);
            at += 2;
            foreach (var name in ObjectNames) at = WriteName(span, at, name);
        }
        foreach (var v in _samples)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], v);
            at += sizeof(float);
        }
        foreach (var v in _objectPoses)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], v);
            at += sizeof(float);
        }
        return blob;
    }

    private static int WriteName(Span<byte> span, int at, string name)
    {
        int n = Encoding.UTF8.GetBytes(name, span[(at + 1)..]);
        span[at] = (byte)n;
        return at + 1 + n;
    }

    /// <exception cref="InvalidDataException">The blob is not a trace of a format this code reads; the message says what is wrong.</exception>
    public static EpisodeTrace Decode(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4 || !blob[..4].SequenceEqual(Magic))
            throw new InvalidDataException("not an episode trace (no CBTR header)");
        if (blob.Length < 28)
            throw new InvalidDataException($"episode trace is {blob.Length} bytes, shorter than its 28-byte header");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        if (version != FormatVersion && version != FormatVersionWithObjects)
            throw new InvalidDataException($"episode trace format {version} is not known to this CortexBot (it reads formats {FormatVersion} and {FormatVersionWithObjects})");
        int joints = BinaryPrimitives.ReadUInt16LittleEndian(blob[6..]);
        double rate = BinaryPrimitives.ReadDoubleLittleEndian(blob[8..]);
        double period = BinaryPrimitives.ReadDoubleLittleEndian(blob[16..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(blob[24..]);
        if (joints is < 1 or > MaxJoints)
            throw new InvalidDataException($"episode trace has {joints} joints (1 to {MaxJoints} expected)");
        if (!(double.IsFinite(period) && period > 0) || !(double.IsFinite(rate) && rate > 0))
            throw new InvalidDataException($"episode trace has sample period {period} s at control rate {rate} Hz");
        if (count is < 0 or > MaxSamples)
            throw new InvalidDataException($"episode trace has {count} samples (at most {MaxSamples})");
        int at = 28;
        var names = ReadNames(blob, ref at, joints, "joint");
        var objects = ImmutableArray<string>.Empty;
        if (version == FormatVersionWithObjects)
        {
            if (at + 2 > blob.Length)
                throw new InvalidDataException("episode trace ends before its object count");
            int k = BinaryPrimitives.ReadUInt16LittleEndian(blob[at..]);
            at += 2;
            if (k is < 1 or > MaxObjects)
                throw new InvalidDataException($"episode trace has {k} objects (1 to {MaxObjects} expected)");
            objects = ReadNames(blob, ref at, k, "object");
        }
        long expected = (long)count * ((joints + 1) + objects.Length * PoseWidth) * sizeof(float);
        if (blob.Length - at != expected)
            throw new InvalidDataException($"episode trace holds {blob.Length - at} sample bytes, {expected} expected for {count} samples");
        var samples = new float[count * (joints + 1)];
        for (int i = 0; i < samples.Length; i++, at += sizeof(float))
            samples[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[at..]);
        var poses = new float[count * objects.Length * PoseWidth];
        for (int i = 0; i < poses.Length; i++, at += sizeof(float))
            poses[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[at..]);
        return new EpisodeTrace(names, rate, period, samples, objects, poses);
    }

    private static ImmutableArray<string> ReadNames(ReadOnlySpan<byte> blob, ref int at, int count, string what)
    {
        var names = ImmutableArray.CreateBuilder<string>(count);
        for (int j = 0; j < count; j++)
        {
            if (at >= blob.Length)
                throw new InvalidDataException($"episode trace ends inside its {what} names");
            int n = blob[at];
            if (n == 0 || at + 1 + n > blob.Length)
                throw new InvalidDataException($"episode trace has a malformed {what} name");
            names.Add(Encoding.UTF8.GetString(blob.Slice(at + 1, n)));
            at += 1 + n;
        }
        return names.MoveToImmutable();
    }
}
