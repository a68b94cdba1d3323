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
