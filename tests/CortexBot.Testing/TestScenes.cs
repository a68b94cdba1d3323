using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Testing;

/// <summary>Table-top scenes for the planning side's tests (reader, planners, cortex), and the real skill catalogue.</summary>
public static class TestScenes
{
    private static readonly Lazy<SkillCatalogue> LazyCatalogue = new(() => SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue));

    /// <summary>The real catalogue, <c>agents/skills.json</c>.</summary>
    public static SkillCatalogue Catalogue => LazyCatalogue.Value;

    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    public static SceneObject Cube(string color, double x, double y) =>
        new($"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, 0.02), Quat.Identity), CubeHalf);

    public static SceneObject Bin(string name = "bin", string? color = null, double x = 0.5, double y = -0.3) =>
        new(name, SceneKinds.Bin, color, new Pose(new Vec3(x, y, 0.05), Quat.Identity), new Vec3(0.1, 0.1, 0.05));

    public static SceneSnapshot Of(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    /// <summary>Red, green and blue cubes on the table and a bin.</summary>
    public static SceneSnapshot ThreeCubesAndBin() =>
        Of(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Bin());

    public static PlanRequest Request(string instruction, SceneSnapshot? scene = null, Guid? taskId = null) =>
        new(taskId ?? Guid.NewGuid(), instruction, scene ?? ThreeCubesAndBin(), ImmutableArray<EpisodeSummary>.Empty, null);
}
