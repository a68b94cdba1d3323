using System.Collections.Immutable;
using CortexBot.Core.Geometry;

namespace CortexBot.Core.Messages;

/// <summary>
/// One detected object, as vision_msgs/msg/Detection3D carries it: the best hypothesis's class id and score, the object's
/// pose and its bounding-box size (full extents, metres), in the table frame the robot plans in.
/// </summary>
public readonly record struct Detection(string ClassId, double Score, Pose Pose, Vec3 Size);

/// <summary>
/// One vision_msgs/msg/Detection3DArray: everything a perception node saw in one frame. <see cref="StampNs"/> is when the
/// frame was taken (MonotonicClock ns, converted from the header stamp by the receiver); <see cref="ReceivedNs"/> when it
/// arrived here. Staleness is judged from the stamp.
/// </summary>
public sealed record DetectionFrame(long StampNs, long ReceivedNs, ImmutableArray<Detection> Detections);

/// <summary>
/// Counters of a perceived scene (the brainstem's PerceivedScene: what it made of the detection frames). A plain record in
/// Core because the robot node reports them to the brain in its status (<see cref="RobotStatus"/>).
/// </summary>
public sealed record PerceptionCounters(
    long FramesAccepted, long FramesRefusedStale, long FramesOutOfOrder, long Detections, long UnknownDetections,
    long FixtureDetections, long RejectedDetections, long Jumps, long Vanished, long FramesBeforeReset = 0)
{
    /// <summary>The counts since <paramref name="earlier"/> (a robot node that outlives a run reports the run's share).</summary>
    public PerceptionCounters Since(PerceptionCounters earlier) => new(
        FramesAccepted - earlier.FramesAccepted, FramesRefusedStale - earlier.FramesRefusedStale, FramesOutOfOrder - earlier.FramesOutOfOrder,
        Detections - earlier.Detections, UnknownDetections - earlier.UnknownDetections, FixtureDetections - earlier.FixtureDetections,
        RejectedDetections - earlier.RejectedDetections, Jumps - earlier.Jumps, Vanished - earlier.Vanished, FramesBeforeReset - earlier.FramesBeforeReset);
}
