using System.Collections.Immutable;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Stats;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// The pieces of `cortexbot bench memory` that belong to the hippocampus: synthetic episodes (mostly distinct, a quarter
/// failures) and the scalar-loop baseline that exact (SIMD) recall is measured against.
/// </summary>
public static class MemoryBenchmark
{
    private static readonly string[] Colours = ["red", "blue", "green", "yellow", "black", "white", "orange", "purple"];
    private static readonly string[] Things = ["cube", "block", "ball", "cup", "can", "box"];
    private static readonly string[] Targets = ["bin", "tray", "shelf", "basket"];
    private static readonly string[] Verbs = ["put", "place", "move", "drop", "stack"];
    private static readonly string[] Reasons = ["slipped out of the gripper", "missed the target", "collision with the table", "timeout"];

    public static EpisodeRecord Synthetic(Random rnd, DateTimeOffset t0, int i)
    {
        var obj = $"{Colours[rnd.Next(Colours.Length)]}_{Things[rnd.Next(Things.Length)]}";
        var target = Targets[rnd.Next(Targets.Length)];
        bool ok = rnd.Next(4) > 0;
        string? why = ok ? null : Reasons[rnd.Next(Reasons.Length)];
        // The station number keeps a million episodes mostly distinct, as real ones are (places, attempts, wording).
        return new EpisodeRecord(Guid.NewGuid(),
            $"{Verbs[rnd.Next(Verbs.Length)]} the {obj.Replace('_', ' ')} in the {target} at station {rnd.Next(1000)}", i,
            t0.AddSeconds(i * 10), 5 + rnd.NextDouble() * 5, ok, why, "rule", [$"{SkillNames.Pick}({obj})", $"{SkillNames.Place}({obj}, {target})"],
            [
                new StepRecord(0, $"{SkillNames.Pick}({obj})", SkillOutcome.Succeeded, null, 0, 2.5),
                new StepRecord(1, $"{SkillNames.Place}({obj}, {target})", ok ? SkillOutcome.Succeeded : SkillOutcome.Failed, why, 2.5, 3),
            ],
            ImmutableArray<string>.Empty, 0.5, "bench");
    }

    /// <summary>The top 10 by dot product with a plain loop over <paramref name="flat"/> (rows of <paramref name="dim"/> floats).</summary>
    public static List<ScoredEpisode> ScalarTop10(float[] flat, long[] ids, float[] q, int dim)
    {
        var best = new List<(float Score, long Id)>(11);
        for (int row = 0; row < ids.Length; row++)
        {
            float s = 0;
            int off = row * dim;
            for (int j = 0; j < dim; j++)
                s += flat[off + j] * q[j];
            if (best.Count == 10 && (s < best[^1].Score || (s == best[^1].Score && ids[row] < best[^1].Id)))
                continue;
            int at = best.Count;
            while (at > 0 && (s > best[at - 1].Score || (s == best[at - 1].Score && ids[row] > best[at - 1].Id)))
                at--;
            best.Insert(at, (s, ids[row]));
            if (best.Count > 10)
                best.RemoveAt(10);
        }
        return [.. best.Select(b => new ScoredEpisode(b.Id, b.Score))];
    }
}
