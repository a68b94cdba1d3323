using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Tests;

/// <summary>
/// Instances of every crossing message, chosen so that together they give every field a non-default value (checked by
/// <see cref="FieldCoverage"/>): a mapping that forgets a field cannot round-trip them equal.
/// </summary>
public static class WireSamples
{
    private static readonly Guid Task = Guid.Parse("6f1c2b9e-8d4a-4f3b-9a71-0c5e2d7b3a10");

    private static SceneSnapshot Scene() => new(987_654_321_000, [
        new SceneObject("red_cube", SceneKinds.Cube, "red",
            new Pose(new Vec3(0.42, -0.13, 0.0251), Quat.FromAxisAngle(new Vec3(0.2, -0.1, 1).Normalized(), 0.3)), new Vec3(0.02, 0.02, 0.02)),
        new SceneObject("bin", SceneKinds.Bin, null, new Pose(new Vec3(0.3, 0.25, 0.06), Quat.Identity), new Vec3(0.08, 0.08, 0.05)),
    ]);

    /// <summary>A format-2 trace (joints and an object, a NaN where its pose was unknown): every part of the blob crosses.</summary>
    public static EpisodeTrace Trace() => new(["shoulder_pan", "elbow"], 500, 0.04,
        [0.1f, -1.2f, 0.04f, 0.125f, -1.1f, 0.02f], ["red_cube"],
        [0.42f, -0.13f, 0.025f, 1f, 0f, 0f, 0f, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN]);

    public static IReadOnlyList<object> All { get; } =
    [
        new ExecuteSkill(Task, 3, SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), new SkillTuning(FirmGrip: true)),
        new ExecuteSkill(Task, 0, SkillInvocation.Of(SkillNames.MoveHome)),
        new ExecuteSkill(Task, 4, SkillInvocation.Of(SkillNames.Pick, "blue_cube")) { MaxToolSpeed = 0.1 },
        // stamped by the episode as it leaves, for the robot's command latency
        new ExecuteSkill(Task, 5, SkillInvocation.Of(SkillNames.Place, "blue_cube", "bin")) { SentUnixNs = 1_765_000_000_123_456_789 },
        new AbortSkill("skill timed out"),
        new Settle(0.6),
        new CapToolSpeed(0.1),
        new ResetWorld(42),
        new GetScene(),
        new GetRobotState(),
        new EmergencyStop("operator pressed stop"),
        new Resume(),
        new GetRobotClock(),
        new BeginEpisodeTrace(Task),
        new EndEpisodeTrace(Task, 123_456),
        new EpisodeProgress(Task, "put the red cube in the bin", 7, "failed", 12.375, 123_456, "rule",
            [
                new StepProgress(0, "pick(red_cube)", "succeeded", 0.125, 2.5, "grasped"),
                new StepProgress(1, "place(red_cube, bin)", "failed", 2.625, 1.0, "object dropped"),
                new StepProgress(2, "move_home()", "pending"),
            ])
        {
            Success = false, Failure = "object_dropped: gripper empty", EpisodeId = 17,
            Anomaly = new AnomalyEvent(AnomalyKinds.ObjectDropped, 3.625, "gripper empty at 0.2 m", Step: 1),
        },
        new EpisodeProgress(Task, "put the red cube in the bin", 7, "planned", 0, 123_456, "rule", []),
        new SkillResult(Task, 4, SkillInvocation.Of(SkillNames.Pick, "red_cube"), SkillOutcome.Failed, "tracking error on joint 2",
            TimeSpan.FromSeconds(1.5) + TimeSpan.FromTicks(1), new Anomaly(AnomalyKinds.TrackingError, "joint 2 lags 31 mrad", 555_000_111)),
        new SkillResult(Task, 5, SkillInvocation.Of(SkillNames.OpenGripper), SkillOutcome.Succeeded, null, TimeSpan.FromMilliseconds(320), null),
        new SkillResult(Task, 6, SkillInvocation.Of(SkillNames.MoveHome), SkillOutcome.Aborted, "emergency stop", TimeSpan.Zero, null),
        new Settled(),
        new WorldReady(42, Scene()) { Perturbations = [new AppliedPerturbation("red_cube", 0.35, 0.2)] },
        new WorldResetFailed(3, "this robot link cannot reset the world (not a simulator)"),
        Scene(),
        new SceneSnapshot(1, []),
        new RobotStateSnapshot(1_000_000_007, [0.1, -1.2, 1.5, -0.3, 1.57, double.Epsilon], [0.01, 0, -0.02, 0.5, -1e-9, 3], 0.04),
        new RobotClock(129_643, 0.002, 129_601),
        new RobotClock(129_643, 0.002),
        new EpisodeTraceStarted(Task, 123_456, 0.001),
        new EpisodeTraceEnded(Task, 12.374, Trace()),
        new EpisodeTraceEnded(Task, 0.5, null),
        new ObserveWorld(5),
        new AttachBrain("akka.tcp://cortexbot@127.0.0.1:40123", 4242),
        new DetachBrain("the run ended"),
        new EpisodeUnderway(Task, "put the red cube in the bin", 7, 2),
        new EpisodeClosed(Task),
        new GetRobotStatus(true),
        new GetRobotStatus(false),
        new RobotAttached("akka.tcp://cortexbot@127.0.0.1:7460/user/robot-node/cerebellum#1234", "akka.tcp://cortexbot@127.0.0.1:7460/user/robot-node/brainstem#5678",
            "akka.tcp://cortexbot@127.0.0.1:7460", 1001, "sim", "sim", "the embedded simulator")
        {
            Policy = new RobotPolicy("/policies/pick_place.onnx", "cpu", "cuda", "no CUDA", new PolicyIdentity("pick_place.onnx", "sha256:0123456789abcdef")),
            Interrupted = new InterruptedEpisode(Task, "put the red cube in the bin", 7, 1, "the brain at akka.tcp://cortexbot@127.0.0.1:40123 became unreachable", 1_765_000_000_123),
        },
        new RobotAttached("c", "b", "r", 1, "home", "detections", "flags"),
        new AttachRefused("akka.tcp://cortexbot@127.0.0.1:40123", "the robot node drives another brain"),
        new RobotStatus("akka.tcp://cortexbot@127.0.0.1:7460", 1001, 12, 3, 1, "akka.tcp://cortexbot@127.0.0.1:40123",
            new ControlCounters(500, 499.8, 12, 85, 1200, 3, 10_000, "realtime", true, 2, 1, 4, 1.0, 0.71, 9, 1, 0.0123)
            {
                ZoneHolds = 5, CommandsTimed = 14, CommandLatencyP50Us = 812, CommandLatencyP99Us = 2_310, CommandLatencyMaxUs = 4_005,
            })
        {
            // a robot with a perception node: the run report's world.detections cross in the status
            Perception = new PerceptionCounters(1_200, 3, 2, 4_800, 17, 1_199, 1, 4, 5, 6),
        },
        new RobotStatus("r", 2, 0, 0, 0, null, new ControlCounters(1000, 0, 0, 0, 0, 0, 0, "fast", false, 0, 0, 0, null, 0, 0, 0, 0)),
    ];

    /// <summary>(name, message) rows for theories.</summary>
    public static TheoryData<string, object> Rows()
    {
        var rows = new TheoryData<string, object>();
        var seen = new Dictionary<Type, int>();
        foreach (var m in All)
        {
            seen[m.GetType()] = seen.GetValueOrDefault(m.GetType()) + 1;
            rows.Add($"{m.GetType().Name} #{seen[m.GetType()]}", m);
        }
        return rows;
    }
}

/// <summary>Structural equality for messages: records compare their ImmutableArrays by reference, the wire cannot keep those.</summary>
public static class Structural
{
    /// <summary>Null when equal, else the path of the first difference.</summary>
    public static string? Difference(object? expected, object? actual, string path = "")
    {
        if (expected is null || actual is null) return expected is null && actual is null ? null : $"{path}: {expected ?? "null"} vs {actual ?? "null"}";
        var type = expected.GetType();
        if (type != actual.GetType()) return $"{path}: {type.Name} vs {actual.GetType().Name}";
        if (IsLeaf(type)) return Equals(expected, actual) ? null : $"{path}: {expected} vs {actual}";
        if (expected is IEnumerable e && actual is IEnumerable a)
        {
            var (x, y) = (e.Cast<object?>().ToList(), a.Cast<object?>().ToList());
            if (x.Count != y.Count) return $"{path}: {x.Count} vs {y.Count} items";
            for (int i = 0; i < x.Count; i++)
                if (Difference(x[i], y[i], $"{path}[{i}]") is { } d) return d;
            return null;
        }
        foreach (var p in Properties(type))
            if (Difference(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}") is { } d) return d;
        return null;
    }

    public static bool IsLeaf(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(Guid)
        || type == typeof(TimeSpan) || type == typeof(decimal);

    public static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");
}

/// <summary>Which fields of the crossing messages the samples give a non-default value.</summary>
public static class FieldCoverage
{
    /// <summary>Every settable field reachable from <paramref name="type"/> (through nested records and arrays), as paths.</summary>
    public static SortedSet<string> Fields(Type type)
    {
        var fields = new SortedSet<string>(StringComparer.Ordinal);
        Walk(type, type.Name, fields, depth: 0);
        return fields;

        static void Walk(Type t, string path, SortedSet<string> into, int depth)
        {
            if (depth > 8) throw new InvalidOperationException($"{path}: nesting too deep");
            foreach (var p in Structural.Properties(t).Where(p => p.CanWrite))
            {
                var pt = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                var at = $"{path}.{p.Name}";
                if (Element(pt) is { } element) { pt = element; at += "[]"; }
                if (Structural.IsLeaf(pt) || !Structural.Properties(pt).Any(x => x.CanWrite)) into.Add(at);
                else Walk(pt, at, into, depth + 1);
            }
        }
    }

    /// <summary>The field paths that hold a non-default value somewhere in <paramref name="message"/>.</summary>
    public static IEnumerable<string> Set(object message)
    {
        var set = new List<string>();
        Walk(message, message.GetType().Name, set);
        return set;

        static void Walk(object value, string path, List<string> into)
        {
            foreach (var p in Structural.Properties(value.GetType()).Where(p => p.CanWrite))
            {
                var v = p.GetValue(value);
                var at = $"{path}.{p.Name}";
                // A nullable value type is set when it has a value, even false or 0.
                bool nullable = Nullable.GetUnderlyingType(p.PropertyType) is not null;
                var pt = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                var items = Element(pt) is not null && v is IEnumerable e ? e.Cast<object>().ToList() : v is null ? [] : [v];
                if (Element(pt) is { } element) { pt = element; at += "[]"; }
                foreach (var item in items)
                {
                    if (Structural.IsLeaf(pt) || !Structural.Properties(pt).Any(x => x.CanWrite))
                    {
                        if (nullable || !IsDefault(item)) into.Add(at);
                    }
                    else Walk(item, at, into);
                }
            }
        }
    }

    private static Type? Element(Type t) =>
        t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableArray<>) ? t.GetGenericArguments()[0] : null;

    private static bool IsDefault(object item) => item switch
    {
        string s => s.Length == 0,
        _ when item.GetType().IsValueType => item.Equals(Activator.CreateInstance(item.GetType())),
        _ => false,
    };
}
