using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;
using CortexBot.Gguf;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>Generated tiny models (one per seed, written once per test run) and scenes.</summary>
internal static class TestModels
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), $"cortexbot-llama-tests-{Environment.ProcessId}");
    private static readonly Dictionary<int, string> Models = [];

    public static string Model(int seed = 1)
    {
        lock (Models)
        {
            if (!Models.TryGetValue(seed, out var path))
            {
                path = TinyLlamaModel.Write(Path.Combine(Dir, $"tiny-{seed}.gguf"), seed);
                Models[seed] = path;
            }
            return path;
        }
    }

    public static string TempFile(string name) => Path.Combine(Dir, $"{Guid.NewGuid():N}-{name}");

    private static readonly Lazy<SkillCatalogue> LazyCatalogue = new(() => SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue));
    public static SkillCatalogue Catalogue => LazyCatalogue.Value;

    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    public static SceneObject Cube(string color, double x, double y) =>
        new($"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, 0.02), Quat.Identity), CubeHalf);

    public static SceneObject Bin(string name = "bin") =>
        new(name, SceneKinds.Bin, null, new Pose(new Vec3(0.5, -0.3, 0.05), Quat.Identity), new Vec3(0.1, 0.1, 0.05));

    public static SceneSnapshot Scene(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    public static SceneSnapshot ThreeCubesAndBin() => Scene(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Bin());

    public static PlanningContext Context(string instruction = "put the red cube in the bin", SceneSnapshot? scene = null,
        ImmutableArray<EpisodeSummary>? memories = null, Anomaly? anomaly = null) =>
        new(instruction, scene ?? ThreeCubesAndBin(), Catalogue, memories ?? [], anomaly);

    public static LlamaPlannerOptions Options(int modelSeed = 1, uint samplingSeed = 1) => new()
    {
        ModelPath = Model(modelSeed),
        Seed = samplingSeed,
        ContextSize = 2048,
        Threads = 1,
    };
}
