using System.Collections.Frozen;
using System.Runtime.Serialization;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using Google.Protobuf;
using P = CortexBot.Cluster.Wire.Proto;

namespace CortexBot.Cluster.Wire;

/// <summary>
/// The mapping between each crossing message (<see cref="CrossingMessages"/>) and its protobuf form in
/// <c>cortexbot_wire.proto</c>, with the frame around it: byte 0 is <see cref="Magic"/>, byte 1 the schema version
/// (<see cref="CortexBotWire.SchemaVersion"/>), the rest the protobuf body. Usable without an actor system; the Akka
/// serializer (<see cref="CortexBotWireSerializer"/>) is a thin layer over it.
/// </summary>
/// <remarks>
/// Decoding is strict, because a frame comes from another process: a wrong header, a body protobuf cannot parse, fields
/// this schema does not know (the body's length differs from what was understood), a missing part or an impossible value
/// all throw <see cref="SerializationException"/> naming the message, so Akka.Remote logs the frame and drops it.
/// </remarks>
public static class WireCodec
{
    /// <summary>The first byte of every frame: a payload without it is not CortexBot's.</summary>
    public const byte Magic = 0xCB;

    private const int HeaderLength = 2;

    private sealed record Entry(Type Type, string Manifest, Func<object, IMessage> ToProto, Func<ReadOnlySpan<byte>, IMessage> Parse,
        Func<IMessage, object> FromProto);

    private static Entry Map<TMessage, TProto>(string manifest, Func<TMessage, TProto> toProto, Func<TProto, TMessage> fromProto)
        where TMessage : notnull
        where TProto : IMessage<TProto>, new()
    {
        // Fields of a newer schema are dropped here and then noticed by the length check in Decode.
        var parser = new MessageParser<TProto>(() => new TProto()).WithDiscardUnknownFields(true);
        return new Entry(typeof(TMessage), manifest, m => toProto((TMessage)m), span => parser.ParseFrom(span), p => fromProto((TProto)p));
    }

    // Manifests are part of the wire: two or three letters, never changed or reused.
    private static readonly Entry[] Entries =
    [
        // brain -> robot
        Map<ExecuteSkill, P.ExecuteSkill>("xs",
            m =>
            {
                var x = new P.ExecuteSkill { TaskId = Id(m.TaskId), StepIndex = m.StepIndex, Skill = ToProto(Present(m.Skill, "ExecuteSkill.Skill")), Tuning = m.Tuning is { } t ? new P.SkillTuning { FirmGrip = t.FirmGrip } : null };
                if (m.MaxToolSpeed is { } cap) x.MaxToolSpeed = cap;
                x.SentUnixNs = m.SentUnixNs;
                return x;
            },
            p => new ExecuteSkill(Id(p.TaskId, "ExecuteSkill.task_id"), p.StepIndex, FromProto(Need(p.Skill, "ExecuteSkill.skill")),
                p.Tuning is { } t ? new SkillTuning(t.FirmGrip) : null) { MaxToolSpeed = p.HasMaxToolSpeed ? p.MaxToolSpeed : null, SentUnixNs = p.SentUnixNs }),
        Map<AbortSkill, P.AbortSkill>("ab", m => new P.AbortSkill { Reason = m.Reason }, p => new AbortSkill(p.Reason)),
        Map<Settle, P.Settle>("st", m => new P.Settle { Seconds = m.Seconds }, p => new Settle(p.Seconds)),
        Map<CapToolSpeed, P.CapToolSpeed>("cp", m => new P.CapToolSpeed { MetresPerSecond = m.MetresPerSecond }, p => new CapToolSpeed(p.MetresPerSecond)),
        Map<ResetWorld, P.ResetWorld>("rw", m => new P.ResetWorld { Seed = m.Seed }, p => new ResetWorld(p.Seed)),
        Map<GetScene, P.GetScene>("gs", _ => new P.GetScene(), _ => new GetScene()),
        Map<GetRobotState, P.GetRobotState>("gr", _ => new P.GetRobotState(), _ => new GetRobotState()),
        Map<EmergencyStop, P.EmergencyStop>("es", m => new P.EmergencyStop { Reason = m.Reason }, p => new EmergencyStop(p.Reason)),
        Map<Resume, P.Resume>("re", _ => new P.Resume(), _ => new Resume()),
        Map<EpisodeProgress, P.EpisodeProgress>("ep", ToProto, FromProto),
        Map<GetRobotClock, P.GetRobotClock>("gc", _ => new P.GetRobotClock(), _ => GetRobotClock.Instance),
        Map<BeginEpisodeTrace, P.BeginEpisodeTrace>("tb", m => new P.BeginEpisodeTrace { TaskId = Id(m.TaskId) },
            p => new BeginEpisodeTrace(Id(p.TaskId, "BeginEpisodeTrace.task_id"))),
        Map<EndEpisodeTrace, P.EndEpisodeTrace>("te", m => new P.EndEpisodeTrace { TaskId = Id(m.TaskId), StartTick = m.StartTick },
            p => new EndEpisodeTrace(Id(p.TaskId, "EndEpisodeTrace.task_id"), p.StartTick)),

        // robot -> brain
        Map<SkillResult, P.SkillResult>("sr", ToProto, FromProto),
        Map<Settled, P.Settled>("sd", _ => new P.Settled(), _ => new Settled()),
        Map<WorldReady, P.WorldReady>("wr",
            m =>
            {
                var p = new P.WorldReady { Seed = m.Seed, Scene = ToProto(Present(m.Scene, "WorldReady.Scene")) };
                foreach (var a in m.Perturbations.OrEmpty().Select(a => Present(a, "WorldReady.Perturbations[]")))
                    p.Perturbations.Add(new P.AppliedPerturbation { Object = a.Object, Mass = a.Mass, Friction = a.Friction });
                return p;
            },
            p => new WorldReady(p.Seed, FromProto(Need(p.Scene, "WorldReady.scene")))
            {
                Perturbations = [.. p.Perturbations.Select(a => new AppliedPerturbation(a.Object, a.Mass, a.Friction))],
            }),
        Map<WorldResetFailed, P.WorldResetFailed>("wf", m => new P.WorldResetFailed { Seed = m.Seed, Reason = m.Reason }, p => new WorldResetFailed(p.Seed, p.Reason)),
        Map<SceneSnapshot, P.SceneSnapshot>("ss", ToProto, FromProto),
        Map<RobotStateSnapshot, P.RobotStateSnapshot>("rs",
            m =>
            {
                var p = new P.RobotStateSnapshot { StampNs = m.StampNs, GripperOpening = m.GripperOpening };
                p.Position.Add(m.Position.OrEmpty());
                p.Velocity.Add(m.Velocity.OrEmpty());
                return p;
            },
            p => new RobotStateSnapshot(p.StampNs, [.. p.Position], [.. p.Velocity], p.GripperOpening)),
        Map<RobotClock, P.RobotClock>("rc", m => new P.RobotClock { Tick = m.Tick, PeriodS = m.PeriodS, LastSkillEndTick = m.LastSkillEndTick },
            p => new RobotClock(p.Tick, Period(p.PeriodS, "RobotClock.period_s"),
                p.LastSkillEndTick >= -1 ? p.LastSkillEndTick : throw new WireFormatException($"RobotClock.last_skill_end_tick is {p.LastSkillEndTick}, a tick or -1"))),
        Map<EpisodeTraceStarted, P.EpisodeTraceStarted>("ts",
            m => new P.EpisodeTraceStarted { TaskId = Id(m.TaskId), StartTick = m.StartTick, PeriodS = m.PeriodS },
            p => new EpisodeTraceStarted(Id(p.TaskId, "EpisodeTraceStarted.task_id"), p.StartTick, Period(p.PeriodS, "EpisodeTraceStarted.period_s"))),
        Map<EpisodeTraceEnded, P.EpisodeTraceEnded>("td",
            m =>
            {
                var p = new P.EpisodeTraceEnded { TaskId = Id(m.TaskId), RobotSeconds = m.RobotSeconds };
                // The trace's own versioned blob (the one the hippocampus stores), carried as bytes.
                if (m.Trace is { } trace) p.Trace = ByteString.CopyFrom(trace.Encode());
                return p;
            },
            p => new EpisodeTraceEnded(Id(p.TaskId, "EpisodeTraceEnded.task_id"), p.RobotSeconds, p.HasTrace ? Trace(p.Trace, "EpisodeTraceEnded.trace") : null)),

        // the robot node's own conversation: brain -> robot
        Map<ObserveWorld, P.ObserveWorld>("ow", m => new P.ObserveWorld { Seed = m.Seed }, p => new ObserveWorld(p.Seed)),
        Map<AttachBrain, P.AttachBrain>("ba", m => new P.AttachBrain { Brain = m.Brain, Pid = m.Pid }, p => new AttachBrain(p.Brain, p.Pid)),
        Map<DetachBrain, P.DetachBrain>("bd", m => new P.DetachBrain { Reason = m.Reason }, p => new DetachBrain(p.Reason)),
        Map<EpisodeUnderway, P.EpisodeUnderway>("eu",
            m => new P.EpisodeUnderway { TaskId = Id(m.TaskId), Instruction = m.Instruction, Seed = m.Seed, Step = m.Step },
            p => new EpisodeUnderway(Id(p.TaskId, "EpisodeUnderway.task_id"), p.Instruction, p.Seed, p.Step)),
        Map<EpisodeClosed, P.EpisodeClosed>("ec", m => new P.EpisodeClosed { TaskId = Id(m.TaskId) },
            p => new EpisodeClosed(Id(p.TaskId, "EpisodeClosed.task_id"))),
        Map<GetRobotStatus, P.GetRobotStatus>("gq", m => new P.GetRobotStatus { ResetControlStats = m.ResetControlStats },
            p => new GetRobotStatus(p.ResetControlStats)),

        // the robot node's own conversation: robot -> brain
        Map<RobotAttached, P.RobotAttached>("ra",
            m => new P.RobotAttached
            {
                Cerebellum = m.Cerebellum, Brainstem = m.Brainstem, RobotNode = m.RobotNode, Pid = m.Pid, Reset = m.Reset, Perception = m.Perception,
                WorldReason = m.WorldReason, Policy = m.Policy is { } pol ? ToProto(pol) : null, Interrupted = m.Interrupted is { } i ? ToProto(i) : null,
            },
            p => new RobotAttached(p.Cerebellum, p.Brainstem, p.RobotNode, p.Pid, p.Reset, p.Perception, p.WorldReason)
            {
                Policy = p.Policy is { } pol ? FromProto(pol) : null, Interrupted = p.Interrupted is { } i ? FromProto(i) : null,
            }),
        Map<AttachRefused, P.AttachRefused>("rf", m => new P.AttachRefused { AttachedBrain = m.AttachedBrain, Reason = m.Reason },
            p => new AttachRefused(p.AttachedBrain, p.Reason)),
        Map<RobotStatus, P.RobotStatus>("rq",
            m =>
            {
                var p = new P.RobotStatus { RobotNode = m.RobotNode, Pid = m.Pid, Gen0 = m.Gen0, Gen1 = m.Gen1, Gen2 = m.Gen2, Control = ToProto(Present(m.Control, "RobotStatus.Control")) };
                if (m.AttachedBrain is { } b) p.AttachedBrain = b;
                if (m.Perception is { } c) p.Perception = ToProto(c);
                return p;
            },
            p => new RobotStatus(p.RobotNode, p.Pid, p.Gen0, p.Gen1, p.Gen2, p.HasAttachedBrain ? p.AttachedBrain : null, FromProto(Need(p.Control, "RobotStatus.control")))
            {
                Perception = p.Perception is { } c ? FromProto(c) : null,
            }),
    ];

    private static P.RobotPolicy ToProto(RobotPolicy m)
    {
        var p = new P.RobotPolicy { Path = m.Path, Device = m.Device, RequestedDevice = m.RequestedDevice,
            IdentityFile = Present(m.Identity, "RobotPolicy.Identity").File, IdentityId = m.Identity.Id };
        if (m.Fallback is { } f) p.Fallback = f;
        return p;
    }

    private static RobotPolicy FromProto(P.RobotPolicy p) =>
        new(p.Path, p.Device, p.RequestedDevice, p.HasFallback ? p.Fallback : null, new PolicyIdentity(p.IdentityFile, p.IdentityId));

    private static P.InterruptedEpisode ToProto(InterruptedEpisode m) => new()
    {
        TaskId = Id(m.TaskId), Instruction = m.Instruction, Seed = m.Seed, Step = m.Step, Reason = m.Reason, AtUnixMs = m.AtUnixMs,
    };

    private static InterruptedEpisode FromProto(P.InterruptedEpisode p) =>
        new(Id(p.TaskId, "InterruptedEpisode.task_id"), p.Instruction, p.Seed, p.Step, p.Reason, p.AtUnixMs);

    private static P.ControlCounters ToProto(ControlCounters c)
    {
        var p = new P.ControlCounters
        {
            TargetHz = c.TargetHz, AchievedHz = c.AchievedHz, JitterP50Us = c.JitterP50Us, JitterP99Us = c.JitterP99Us, JitterMaxUs = c.JitterMaxUs,
            LateTicks = c.LateTicks, Ticks = c.Ticks, Pacing = c.Pacing, RealtimePriority = c.RealtimePriority, ClampedCommands = c.ClampedCommands,
            EnvelopeHolds = c.EnvelopeHolds, SpeedScaledCommands = c.SpeedScaledCommands, PeakToolSpeed = c.PeakToolSpeed, Trajectories = c.Trajectories,
            TrajectoriesRefused = c.TrajectoriesRefused, TrackingErrorP99 = c.TrackingErrorP99, ZoneHolds = c.ZoneHolds,
            CommandsTimed = c.CommandsTimed, CommandLatencyP50Us = c.CommandLatencyP50Us, CommandLatencyP99Us = c.CommandLatencyP99Us,
            CommandLatencyMaxUs = c.CommandLatencyMaxUs,
        };
        if (c.MaxToolSpeed is { } v) p.MaxToolSpeed = v;
        return p;
    }

    private static ControlCounters FromProto(P.ControlCounters p) => new(p.TargetHz, p.AchievedHz, p.JitterP50Us, p.JitterP99Us, p.JitterMaxUs,
        p.LateTicks, p.Ticks, p.Pacing, p.RealtimePriority, p.ClampedCommands, p.EnvelopeHolds, p.SpeedScaledCommands,
        p.HasMaxToolSpeed ? p.MaxToolSpeed : null, p.PeakToolSpeed, p.Trajectories, p.TrajectoriesRefused, p.TrackingErrorP99)
    {
        ZoneHolds = p.ZoneHolds, CommandsTimed = p.CommandsTimed, CommandLatencyP50Us = p.CommandLatencyP50Us, CommandLatencyP99Us = p.CommandLatencyP99Us,
        CommandLatencyMaxUs = p.CommandLatencyMaxUs,
    };

    private static P.PerceptionCounters ToProto(PerceptionCounters c) => new()
    {
        FramesAccepted = c.FramesAccepted, FramesRefusedStale = c.FramesRefusedStale, FramesOutOfOrder = c.FramesOutOfOrder, Detections = c.Detections,
        UnknownDetections = c.UnknownDetections, FixtureDetections = c.FixtureDetections, RejectedDetections = c.RejectedDetections, Jumps = c.Jumps,
        Vanished = c.Vanished, FramesBeforeReset = c.FramesBeforeReset,
    };

    private static PerceptionCounters FromProto(P.PerceptionCounters p) => new(p.FramesAccepted, p.FramesRefusedStale, p.FramesOutOfOrder, p.Detections,
        p.UnknownDetections, p.FixtureDetections, p.RejectedDetections, p.Jumps, p.Vanished, p.FramesBeforeReset);

    private static readonly FrozenDictionary<Type, Entry> ByType = Entries.ToFrozenDictionary(e => e.Type);
    private static readonly FrozenDictionary<string, Entry> ByManifest = Entries.ToFrozenDictionary(e => e.Manifest, StringComparer.Ordinal);

    /// <summary>The message types this codec maps (the test holds them against <see cref="CrossingMessages"/>).</summary>
    public static IReadOnlyCollection<Type> MappedTypes => ByType.Keys;

    public static bool Maps(Type type) => ByType.ContainsKey(type);

    /// <summary>The manifest that names <paramref name="message"/>'s type on the wire.</summary>
    /// <exception cref="SerializationException">The type has no mapping.</exception>
    public static string ManifestOf(object message) => EntryFor(message).Manifest;

    /// <summary>The frame for <paramref name="message"/>: header and protobuf body.</summary>
    /// <exception cref="SerializationException">The type has no mapping, or the message cannot be written (a null where the record promises a value).</exception>
    public static byte[] Encode(object message)
    {
        var entry = EntryFor(message);
        IMessage body;
        try
        {
            body = entry.ToProto(message);
        }
        catch (ArgumentException e) // a null where the record promises a value (protobuf refuses null strings)
        {
            throw new SerializationException($"CortexBot wire: cannot write {entry.Type.Name}: {e.Message}", e);
        }
        var frame = new byte[HeaderLength + body.CalculateSize()];
        frame[0] = Magic;
        frame[1] = CortexBotWire.SchemaVersion;
        body.WriteTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>The message in <paramref name="frame"/>, whose type <paramref name="manifest"/> names.</summary>
    /// <exception cref="SerializationException">Unknown manifest, another schema version, or a garbled frame; the message says which.</exception>
    public static object Decode(string manifest, ReadOnlySpan<byte> frame)
    {
        if (!ByManifest.TryGetValue(manifest ?? "", out var entry))
            throw new SerializationException($"CortexBot wire: unknown message manifest '{manifest}' (schema {CortexBotWire.SchemaVersion} knows {string.Join(", ", ByManifest.Keys.Order())}); is the peer a different CortexBot version?");
        if (frame.Length < HeaderLength || frame[0] != Magic)
            throw new SerializationException($"CortexBot wire: garbled {entry.Type.Name} frame ({frame.Length} bytes, no CortexBot header)");
        if (frame[1] != CortexBotWire.SchemaVersion)
            throw new SerializationException(CortexBotWire.Incompatibility(frame[1]) + $" ({entry.Type.Name} dropped)");
        var body = frame[HeaderLength..];
        IMessage proto;
        try
        {
            proto = entry.Parse(body);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SerializationException($"CortexBot wire: garbled {entry.Type.Name} frame: {e.Message}", e);
        }
        // Same schema, same writer: every byte must have been understood. A difference is garbage or foreign fields.
        if (proto.CalculateSize() != body.Length)
            throw new SerializationException($"CortexBot wire: garbled {entry.Type.Name} frame: {body.Length - proto.CalculateSize()} of its {body.Length} body bytes are not schema {CortexBotWire.SchemaVersion}");
        try
        {
            return entry.FromProto(proto);
        }
        catch (Exception e) when (e is WireFormatException or ArgumentException)
        {
            throw new SerializationException($"CortexBot wire: garbled {entry.Type.Name} frame: {e.Message}", e);
        }
    }

    private static Entry EntryFor(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ByType.TryGetValue(message.GetType(), out var entry)
            ? entry
            : throw new SerializationException($"CortexBot wire: {message.GetType().FullName} is not a message between the brain and the robot node (add it to CrossingMessages and map it in WireCodec)");
    }

    /// <summary>A value the frame cannot mean (thrown while mapping a parsed body).</summary>
    private sealed class WireFormatException(string message) : Exception(message);

    private static T Need<T>(T? part, string field) where T : class => part ?? throw new WireFormatException($"{field} is missing");

    private static T Present<T>(T? part, string field) where T : class => part ?? throw new ArgumentException($"{field} is null");

    private static ByteString Id(Guid id) => ByteString.CopyFrom(id.ToByteArray());

    private static Guid Id(ByteString bytes, string field) =>
        bytes.Length == 16 ? new Guid(bytes.Span) : throw new WireFormatException($"{field} has {bytes.Length} bytes, a task id 16");

    private static double Period(double seconds, string field) =>
        double.IsFinite(seconds) && seconds > 0 ? seconds : throw new WireFormatException($"{field} is {seconds}, a tick period must be positive");

    private static EpisodeTrace Trace(ByteString blob, string field)
    {
        try
        {
            return EpisodeTrace.Decode(blob.Span);
        }
        catch (InvalidDataException e)
        {
            throw new WireFormatException($"{field}: {e.Message}");
        }
    }

    private static System.Collections.Immutable.ImmutableArray<T> OrEmpty<T>(this System.Collections.Immutable.ImmutableArray<T> a) => a.IsDefault ? [] : a;

    private static P.Vec3 ToProto(Vec3 v) => new() { X = v.X, Y = v.Y, Z = v.Z };

    private static Vec3 FromProto(P.Vec3 v) => new(v.X, v.Y, v.Z);

    private static P.Pose ToProto(Pose p) => new()
    {
        Position = ToProto(p.Position),
        Orientation = new P.Quat { W = p.Orientation.W, X = p.Orientation.X, Y = p.Orientation.Y, Z = p.Orientation.Z },
    };

    private static Pose FromProto(P.Pose p, string field)
    {
        var q = Need(p.Orientation, field + ".orientation");
        return new Pose(FromProto(Need(p.Position, field + ".position")), new Quat(q.W, q.X, q.Y, q.Z));
    }

    private static P.SkillInvocation ToProto(SkillInvocation s)
    {
        var p = new P.SkillInvocation { Skill = s.Skill };
        p.Args.Add(s.Args.OrEmpty());
        return p;
    }

    private static SkillInvocation FromProto(P.SkillInvocation p) =>
        p.Skill.Length > 0 ? new SkillInvocation(p.Skill, [.. p.Args]) : throw new WireFormatException("a skill invocation without a skill name");

    private static P.Anomaly ToProto(Anomaly a) => new() { Kind = a.Kind, Detail = a.Detail, StampNs = a.StampNs };

    private static Anomaly FromProto(P.Anomaly a) => new(a.Kind, a.Detail, a.StampNs);

    private static P.SceneSnapshot ToProto(SceneSnapshot s)
    {
        var p = new P.SceneSnapshot { StampNs = s.StampNs };
        foreach (var o in s.Objects.OrEmpty().Select(o => Present(o, "SceneSnapshot.Objects[]")))
        {
            var po = new P.SceneObject { Name = o.Name, Kind = o.Kind, Pose = ToProto(o.Pose), HalfSize = ToProto(o.HalfSize) };
            if (o.Color is not null) po.Color = o.Color;
            p.Objects.Add(po);
        }
        return p;
    }

    private static SceneSnapshot FromProto(P.SceneSnapshot p) => new(p.StampNs,
        [.. p.Objects.Select(o => new SceneObject(o.Name, o.Kind, o.HasColor ? o.Color : null, FromProto(Need(o.Pose, "SceneObject.pose"), "SceneObject.pose"),
            FromProto(Need(o.HalfSize, "SceneObject.half_size"))))]);

    private static P.SkillResult ToProto(SkillResult r)
    {
        var p = new P.SkillResult
        {
            TaskId = Id(r.TaskId), StepIndex = r.StepIndex, Skill = ToProto(Present(r.Skill, "SkillResult.Skill")), DurationTicks = r.Duration.Ticks,
            Outcome = r.Outcome switch
            {
                SkillOutcome.Succeeded => P.SkillOutcome.Succeeded,
                SkillOutcome.Failed => P.SkillOutcome.Failed,
                SkillOutcome.Aborted => P.SkillOutcome.Aborted,
                _ => throw new ArgumentException($"skill outcome {r.Outcome} has no wire value"),
            },
            Anomaly = r.Anomaly is { } a ? ToProto(a) : null,
        };
        if (r.Detail is not null) p.Detail = r.Detail;
        return p;
    }

    private static SkillResult FromProto(P.SkillResult p) => new(Id(p.TaskId, "SkillResult.task_id"), p.StepIndex,
        FromProto(Need(p.Skill, "SkillResult.skill")),
        p.Outcome switch
        {
            P.SkillOutcome.Succeeded => SkillOutcome.Succeeded,
            P.SkillOutcome.Failed => SkillOutcome.Failed,
            P.SkillOutcome.Aborted => SkillOutcome.Aborted,
            _ => throw new WireFormatException($"SkillResult.outcome {(int)p.Outcome} is not an outcome"),
        },
        p.HasDetail ? p.Detail : null, TimeSpan.FromTicks(p.DurationTicks), p.Anomaly is { } a ? FromProto(a) : null);

    private static P.AnomalyEvent ToProto(AnomalyEvent a)
    {
        var p = new P.AnomalyEvent { Kind = a.Kind, RobotTimeS = a.RobotTimeS, Detail = a.Detail };
        if (a.Step is { } step) p.Step = step;
        return p;
    }

    private static AnomalyEvent FromProto(P.AnomalyEvent p) => new(p.Kind, p.RobotTimeS, p.Detail, p.HasStep ? p.Step : null);

    private static P.EpisodeProgress ToProto(EpisodeProgress e)
    {
        var p = new P.EpisodeProgress
        {
            TaskId = Id(e.TaskId), Instruction = e.Instruction, Seed = e.Seed, Status = e.Status, RobotTimeS = e.RobotTimeS,
            StartTick = e.StartTick, Planner = e.Planner, Anomaly = e.Anomaly is { } a ? ToProto(a) : null, EpisodeId = e.EpisodeId,
        };
        if (e.Success is { } success) p.Success = success;
        if (e.Failure is not null) p.Failure = e.Failure;
        foreach (var s in e.Steps.OrEmpty().Select(s => Present(s, "EpisodeProgress.Steps[]")))
        {
            var ps = new P.StepProgress { Index = s.Index, Skill = s.Skill, Status = s.Status };
            if (s.StartedS is { } started) ps.StartedS = started;
            if (s.DurationS is { } duration) ps.DurationS = duration;
            if (s.Detail is not null) ps.Detail = s.Detail;
            p.Steps.Add(ps);
        }
        return p;
    }

    private static EpisodeProgress FromProto(P.EpisodeProgress p) => new(Id(p.TaskId, "EpisodeProgress.task_id"), p.Instruction, p.Seed, p.Status,
        p.RobotTimeS, p.StartTick, p.Planner,
        [.. p.Steps.Select(s => new StepProgress(s.Index, s.Skill, s.Status, s.HasStartedS ? s.StartedS : null, s.HasDurationS ? s.DurationS : null,
            s.HasDetail ? s.Detail : null))])
    {
        Success = p.HasSuccess ? p.Success : null,
        Failure = p.HasFailure ? p.Failure : null,
        Anomaly = p.Anomaly is { } a ? FromProto(a) : null,
        EpisodeId = p.EpisodeId,
    };
}
