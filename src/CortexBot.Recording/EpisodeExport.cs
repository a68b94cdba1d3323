using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

using CortexBot.Recording.Mcap;

namespace CortexBot.Recording;

/// <summary>
/// A stored episode as an MCAP file: its motion trace as joint states (and object poses, when the trace has them), the
/// plan's steps with their status as they started and ended, its anomalies, and the objects where they were at the
/// start and at the end. A stored episode keeps
/// no commands, clamps or camera frames; a live recording (<c>run --record</c>) has those too.
/// </summary>
public static class EpisodeExport
{
    /// <param name="shapes">Size and colour of the scene's objects by name (a stored episode keeps only their poses);
    /// an object not found there is drawn as a 2 cm grey marker.</param>
    public static ulong Write(EpisodeRecord episode, Stream output, IReadOnlyDictionary<string, SceneObject>? shapes = null, McapWriterOptions? options = null)
    {
        ulong start = (ulong)Math.Max(0, (episode.StartedAt - DateTimeOffset.UnixEpoch).Ticks) * 100;
        using var rec = new EpisodeRecording(output, start, options);
        rec.Episode(0, episode.Instruction, episode.Seed, episode.Planner, null, null, episode.Id == 0 ? null : episode.Id);

        if (!episode.SceneAtStart.IsDefaultOrEmpty) rec.Objects(0, Objects(episode.SceneAtStart, shapes));

        // Plan status at the start, at every step's start and end: a timeline of the tree's nodes.
        var steps = episode.Steps.IsDefault ? [] : episode.Steps;
        var events = new SortedSet<double> { 0 };
        foreach (var s in steps) { events.Add(s.StartedAtS); events.Add(s.StartedAtS + s.DurationS); }
        int anomaly = 0;
        var anomalies = episode.AnomalyEvents.IsDefault ? [] : episode.AnomalyEvents.OrderBy(a => a.RobotTimeS).ToArray();
        var trace = episode.Trace;
        int sample = 0;
        foreach (var t in events)
        {
            // Interleave the trace and anomalies up to this event so each channel's times run forward.
            for (; trace is not null && sample < trace.Count && trace.TimeOf(sample) <= t; sample++) TraceSample(rec, trace, sample, episode, shapes);
            for (; anomaly < anomalies.Length && anomalies[anomaly].RobotTimeS <= t; anomaly++) rec.Anomaly(anomalies[anomaly]);
            if (steps.Length == 0)
                rec.Plan(t, episode.Instruction, "planned", [.. episode.Plan.Select((p, i) => new PlanStepStatus(i, p, "pending"))]);
            else
                rec.Plan(t, episode.Instruction, TaskStatus(episode, steps, t), [.. steps.Select(s => StepAt(s, t))]);
        }
        for (; trace is not null && sample < trace.Count; sample++) TraceSample(rec, trace, sample, episode, shapes);
        for (; anomaly < anomalies.Length; anomaly++) rec.Anomaly(anomalies[anomaly]);

        double end = Math.Max(episode.DurationS, events.Max);
        if (!episode.SceneAtEnd.IsDefaultOrEmpty) rec.Objects(end, Objects(episode.SceneAtEnd, shapes));
        rec.Episode(end, episode.Instruction, episode.Seed, episode.Planner, episode.Success, episode.FailureReason, episode.Id == 0 ? null : episode.Id);
        return rec.MessageCount;
    }

    private static void TraceSample(EpisodeRecording rec, EpisodeTrace trace, int sample, EpisodeRecord episode, IReadOnlyDictionary<string, SceneObject>? shapes)
    {
        if (!float.IsFinite(trace.Gripper(sample))) return; // a sample the control thread did not record
        Span<double> q = stackalloc double[trace.Joints];
        for (int j = 0; j < q.Length; j++) q[j] = trace.Joint(sample, j);
        double t = trace.TimeOf(sample);
        rec.JointStates(t, trace.JointNames, q, [], trace.Gripper(sample));
        if (trace.ObjectNames.IsEmpty) return;
        var objects = new List<SceneObject>(trace.ObjectNames.Length);
        for (int o = 0; o < trace.ObjectNames.Length; o++)
        {
            if (!trace.TryGetObjectPose(sample, o, out var pose)) continue;
            var name = trace.ObjectNames[o];
            string kind = episode.SceneAtStart.IsDefault ? "" : episode.SceneAtStart.FirstOrDefault(p => p.Name == name)?.Kind ?? "";
            objects.Add(Shaped(name, kind, pose, shapes));
        }
        rec.Objects(t, objects);
    }

    private static string TaskStatus(EpisodeRecord e, IReadOnlyList<StepRecord> steps, double t)
    {
        double end = steps.Max(s => s.StartedAtS + s.DurationS);
        if (t < steps.Min(s => s.StartedAtS)) return "planned";
        if (t < end) return "running";
        return e.Success ? "succeeded" : "failed";
    }

    private static PlanStepStatus StepAt(StepRecord s, double t)
    {
        double end = s.StartedAtS + s.DurationS;
        if (t < s.StartedAtS) return new(s.Index, s.Skill, "pending");
        if (t < end) return new(s.Index, s.Skill, "running", s.StartedAtS);
        return new(s.Index, s.Skill, s.Outcome == SkillOutcome.Succeeded ? "succeeded" : "failed", s.StartedAtS, s.DurationS, s.Detail);
    }

    private static IEnumerable<SceneObject> Objects(IEnumerable<ObjectPlacement> placements, IReadOnlyDictionary<string, SceneObject>? shapes)
    {
        foreach (var p in placements)
        {
            var pose = new Pose(new Vec3(p.X, p.Y, p.Z), Quat.FromAxisAngle(new Vec3(0, 0, 1), p.Yaw));
            yield return Shaped(p.Name, p.Kind, pose, shapes);
        }
    }

    /// <summary>The object at <paramref name="pose"/> with its size and colour from <paramref name="shapes"/>, else a 2 cm grey marker.</summary>
    private static SceneObject Shaped(string name, string kind, Pose pose, IReadOnlyDictionary<string, SceneObject>? shapes) =>
        shapes is not null && shapes.TryGetValue(name, out var shape)
            ? shape with { Pose = pose }
            : new SceneObject(name, kind, null, pose, new Vec3(0.01, 0.01, 0.01));
}
