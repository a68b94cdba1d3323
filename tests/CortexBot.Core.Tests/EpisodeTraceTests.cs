using System.Buffers.Binary;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Tests;

public class EpisodeTraceTests
{
    private static EpisodeTrace Sample() => new(["shoulder_pan", "elbow"], 500, 0.04,
        [0.1f, -0.2f, 0.04f, 0.15f, -0.25f, 0.03f, float.NaN, float.NaN, float.NaN]);

    [Fact]
    public void Encodes_to_the_documented_layout_and_decodes_back()
    {
        var t = Sample();
        var blob = t.Encode();

        Assert.Equal(t.EncodedLength, blob.Length);
        Assert.Equal(28 + (1 + 12) + (1 + 5) + 9 * 4, blob.Length);
        Assert.Equal("CBTR"u8.ToArray(), blob[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(blob.AsSpan(4)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(blob.AsSpan(6)));
        Assert.Equal(500.0, BinaryPrimitives.ReadDoubleLittleEndian(blob.AsSpan(8)));
        Assert.Equal(0.04, BinaryPrimitives.ReadDoubleLittleEndian(blob.AsSpan(16)));
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(24)));
        var back = EpisodeTrace.Decode(blob);
        Assert.Equal(t.JointNames.AsEnumerable(), back.JointNames.AsEnumerable());
        Assert.Equal((3, 0.08, 0.15f, 0.03f), (back.Count, back.DurationS, back.Joint(1, 0), back.Gripper(1)));
        Assert.True(float.IsNaN(back.Joint(2, 1)));
        Assert.Equal(blob, back.Encode());
    }

    [Fact]
    public void Malformed_blobs_are_refused_with_the_reason()
    {
        var blob = Sample().Encode();
        string Why(byte[] b) => Assert.Throws<InvalidDataException>(() => EpisodeTrace.Decode(b)).Message;

        Assert.Contains("no CBTR header", Why([.. "XXXX"u8, .. blob[4..]]));
        var future = (byte[])blob.Clone();
        future[4] = 9;
        Assert.Contains("format 9 is not known", Why(future));
        Assert.Contains("sample bytes", Why(blob[..^4]));
        var many = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(many.AsSpan(24), EpisodeTrace.MaxSamples + 1);
        Assert.Contains("at most", Why(many));
        Assert.Contains("shorter than its 28-byte header", Why(blob[..10]));
        Assert.Throws<ArgumentException>(() => new EpisodeTrace(["a"], 500, 0.04, new float[3]));
        Assert.Throws<ArgumentException>(() => new EpisodeTrace(["a"], 500, 0.04, new float[2 * (EpisodeTrace.MaxSamples + 1)]));
    }
}
