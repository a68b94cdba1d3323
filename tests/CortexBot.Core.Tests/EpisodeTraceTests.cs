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

    [Fact]
    public void Object_poses_make_format_2_and_round_trip_with_their_gaps()
    {
        float nan = float.NaN;
        var t = new EpisodeTrace(["shoulder_pan"], 500, 0.04, [0.1f, 0.08f, 0.2f, 0.07f], ["red_cube"],
            [0.4f, 0.1f, 0.02f, 1, 0, 0, 0, nan, nan, nan, nan, nan, nan, nan]);
        var blob = t.Encode();
        Assert.Equal(t.EncodedLength, blob.Length);
        Assert.Equal(28 + (1 + 12) + 2 + (1 + 8) + 4 * 4 + 14 * 4, blob.Length);
        Assert.Equal(EpisodeTrace.FormatVersionWithObjects, BinaryPrimitives.ReadUInt16LittleEndian(blob.AsSpan(4)));
        var back = EpisodeTrace.Decode(blob);
        Assert.Equal(["red_cube"], back.ObjectNames.AsEnumerable());
        Assert.True(back.TryGetObjectPose(0, 0, out var pose));
        Assert.Equal((0.4, 0.1, 1.0), (Math.Round(pose.Position.X, 6), Math.Round(pose.Position.Y, 6), pose.Orientation.W));
        Assert.False(back.TryGetObjectPose(1, 0, out _));
        Assert.Equal(blob, back.Encode());

        // Without objects a trace stays format 1, readable by versions that know only that.
        Assert.Equal(EpisodeTrace.FormatVersion, BinaryPrimitives.ReadUInt16LittleEndian(Sample().Encode().AsSpan(4)));
        Assert.Throws<ArgumentException>(() => new EpisodeTrace(["a"], 500, 0.04, new float[4], ["cube"], new float[7]));
        Assert.Contains("sample bytes", Assert.Throws<InvalidDataException>(() => EpisodeTrace.Decode(blob[..^4])).Message);
    }
}
