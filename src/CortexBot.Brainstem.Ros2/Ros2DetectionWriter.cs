using CortexBot.Core.Messages;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// Publishes vision_msgs/Detection3DArray as a perception node does: one Detection3D per object with a single hypothesis
/// (class id, score, pose with a diagonal position covariance), the bounding box centred on that pose, and the class id
/// as the tracking id. The message buffers are native and reused; a class id is converted once, so steady publishing
/// allocates nothing. One thread at a time.
/// </summary>
internal sealed unsafe class Ros2DetectionWriter : IDisposable
{
    private readonly int _writer;
    private readonly NativeStrings _mem = new();
    private readonly Dictionary<string, nint> _classIds = new(StringComparer.Ordinal);
    private readonly byte* _frameId;
    private readonly double _positionVariance;
    private Detection3DMsg* _detections;
    private ObjectHypothesisWithPoseMsg* _hypotheses;
    private int _capacity;

    /// <param name="frameId">The frame the poses are in (header.frame_id).</param>
    /// <param name="positionStd">The position noise std (metres) announced in each pose's covariance (its square on x, y, z).</param>
    public Ros2DetectionWriter(DdsParticipant dds, string topic, string frameId, double positionStd = 0, int capacity = 16)
    {
        // a perception node's publisher: rclcpp's default QoS (best-effort readers match it too)
        _writer = dds.Writer(RosType.Detection3DArray, topic, RosQos.Default);
        _frameId = _mem.Add(frameId);
        _positionVariance = positionStd * positionStd;
        Grow(Math.Max(1, capacity));
    }

    public int Writer => _writer;

    /// <summary>Writes one frame stamped <paramref name="stampWallNs"/> (ROS time: wall-clock ns since the epoch).
    /// Returns the DDS return code (negative on failure).</summary>
    public int Write(long stampWallNs, ReadOnlySpan<Detection> detections) => Write(stampWallNs, detections, default);

    /// <summary>Writes one frame stamped <paramref name="stampWallNs"/> whose detection i carries its own header stamp
    /// <paramref name="detectionStampsWallNs"/>[i] (empty: the frame's), as a node fusing poses of different ages would.</summary>
    public int Write(long stampWallNs, ReadOnlySpan<Detection> detections, ReadOnlySpan<long> detectionStampsWallNs)
    {
        if (!detectionStampsWallNs.IsEmpty && detectionStampsWallNs.Length != detections.Length)
            throw new ArgumentException($"{detectionStampsWallNs.Length} stamps for {detections.Length} detections", nameof(detectionStampsWallNs));
        if (detections.Length > _capacity) Grow(Math.Max(detections.Length, 2 * _capacity));
        var stamp = RosTime.FromNanoseconds(stampWallNs);
        for (int i = 0; i < detections.Length; i++)
        {
            var d = detections[i];
            var h = _hypotheses + i;
            h->ClassId = ClassId(d.ClassId);
            h->Score = d.Score;
            h->Pose = ToMsg(d.Pose);
            new Span<double>(h->Covariance, 36).Clear();
            h->Covariance[0] = h->Covariance[7] = h->Covariance[14] = _positionVariance;
            var m = _detections + i;
            m->Header.Stamp = detectionStampsWallNs.IsEmpty ? stamp : RosTime.FromNanoseconds(detectionStampsWallNs[i]);
            m->Header.FrameId = _frameId;
            m->Results = DdsSequence.Of(h, 1);
            m->Bbox.Center = h->Pose;
            m->Bbox.Sx = d.Size.X;
            m->Bbox.Sy = d.Size.Y;
            m->Bbox.Sz = d.Size.Z;
            m->Id = h->ClassId;
        }
        Detection3DArrayMsg a = default;
        a.Header.Stamp = stamp;
        a.Header.FrameId = _frameId;
        a.Detections = DdsSequence.Of(_detections, detections.Length);
        return Native.Write(_writer, &a);
    }

    internal static PoseMsg ToMsg(Core.Geometry.Pose p) => new()
    {
        Px = p.Position.X, Py = p.Position.Y, Pz = p.Position.Z,
        Qx = p.Orientation.X, Qy = p.Orientation.Y, Qz = p.Orientation.Z, Qw = p.Orientation.W,
    };

    private byte* ClassId(string id)
    {
        if (!_classIds.TryGetValue(id, out var p)) _classIds[id] = p = (nint)_mem.Add(id);
        return (byte*)p;
    }

    private void Grow(int capacity)
    {
        // the old buffers stay owned by _mem until dispose (growth is rare: the object count of a scene)
        _detections = _mem.Alloc<Detection3DMsg>(capacity);
        _hypotheses = _mem.Alloc<ObjectHypothesisWithPoseMsg>(capacity);
        _capacity = capacity;
    }

    public void Dispose() => _mem.Dispose();
}
