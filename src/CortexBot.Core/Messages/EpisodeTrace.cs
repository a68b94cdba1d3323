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
/// A 6-joint arm at 25 Hz takes 28 bytes per sample: 7 KB for a 10 s episode; at most <see cref="MaxSamples"/>
/// samples (6 minutes at 25 Hz, 252 KB) are kept, later motion is not traced.
/// </remarks>
public sealed class EpisodeTrace
{
    public const ushort FormatVersion = 1;
    public const int MaxJoints = 32;
    public const int MaxSamples = 9000;
    private static ReadOnlySpan<byte> Magic => "CBTR"u8;

    private readonly float[] _samples;

    public EpisodeTrace(ImmutableArray<string> jointNames, double controlRateHz, double samplePeriodS, float[] samples)
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
        JointNames = jointNames;
        ControlRateHz = controlRateHz;
        SamplePeriodS = samplePeriodS;
        _samples = samples;
    }

    public ImmutableArray<string> JointNames { get; }

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

    /// <summary>A copy of the raw values (per sample: joints, then gripper).</summary>
    public float[] CopySamples() => (float[])_samples.Clone();

    public int EncodedLength => 28 + JointNames.Sum(n => 1 + Encoding.UTF8.GetByteCount(n)) + _samples.Length * sizeof(float);

    public byte[] Encode()
    {
        var blob = new byte[EncodedLength];
        var span = blob.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)Joints);
        BinaryPrimitives.WriteDoubleLittleEndian(span[8..], ControlRateHz);
        BinaryPrimitives.WriteDoubleLittleEndian(span[16..], SamplePeriodS);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], Count);
        int at = 28;
        foreach (var name in JointNames)
        {
            int n = Encoding.UTF8.GetBytes(name, span[(at + 1)..]);
            span[at] = (byte)n;
            at += 1 + n;
        }
        foreach (var v in _samples)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], v);
            at += sizeof(float);
        }
        return blob;
    }

    /// <exception cref="InvalidDataException">The blob is not a trace of a format this code reads; the message says what is wrong.</exception>
    public static EpisodeTrace Decode(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4 || !blob[..4].SequenceEqual(Magic))
            throw new InvalidDataException("not an episode trace (no CBTR header)");
        if (blob.Length < 28)
            throw new InvalidDataException($"episode trace is {blob.Length} bytes, shorter than its 28-byte header");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(blob[4..]);
        if (version != FormatVersion)
            throw new InvalidDataException($"episode trace format {version} is not known to this CortexBot (it reads format {FormatVersion})");
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
        var names = ImmutableArray.CreateBuilder<string>(joints);
        for (int j = 0; j < joints; j++)
        {
            if (at >= blob.Length)
                throw new InvalidDataException("episode trace ends inside its joint names");
            int n = blob[at];
            if (n == 0 || at + 1 + n > blob.Length)
                throw new InvalidDataException("episode trace has a malformed joint name");
            names.Add(Encoding.UTF8.GetString(blob.Slice(at + 1, n)));
            at += 1 + n;
        }
        long expected = (long)count * (joints + 1) * sizeof(float);
        if (blob.Length - at != expected)
            throw new InvalidDataException($"episode trace holds {blob.Length - at} sample bytes, {expected} expected for {count} samples");
        var samples = new float[count * (joints + 1)];
        for (int i = 0; i < samples.Length; i++, at += sizeof(float))
            samples[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[at..]);
        return new EpisodeTrace(names.MoveToImmutable(), rate, period, samples);
    }
}
