using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Training;

/// <summary>
/// Scores a training checkpoint by closed-loop success: exports the trainer's current network to a scratch .onnx and runs
/// it, as <c>eval</c> does (fast mode, deterministic noise, whole chunks), on validation seeds that must be disjoint from
/// the training demonstrations' seeds. Used for <see cref="TrainOptions.SelectEvery"/>.
/// </summary>
public sealed class ClosedLoopScorer : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cortexbot-select-" + Guid.NewGuid().ToString("N"));
    private readonly Action<string>? _log;
    private readonly MotionGuardFactory _guard;

    public int Seed { get; }
    public int Episodes { get; }
    public string Description => $"closed-loop success on seeds {Seed}-{Seed + Episodes - 1} (fast mode, deterministic noise, whole chunks)";

    /// <param name="trainingSeeds">The seed range [first, last] of the demonstrations; the validation seeds must not overlap it.</param>
    /// <param name="guard">The safety gate the checkpoints command the arm through (see <see cref="PolicyEvaluator.EvaluateAsync"/>).</param>
    public ClosedLoopScorer(int seed, int episodes, int[] trainingSeeds, MotionGuardFactory guard, Action<string>? log = null)
    {
        if (episodes < 1) throw new Core.ConfigurationException($"checkpoint selection needs at least 1 validation episode, got {episodes}");
        if (trainingSeeds.Length == 2 && seed <= trainingSeeds[1] && seed + episodes - 1 >= trainingSeeds[0])
            throw new Core.ConfigurationException(
                $"validation seeds {seed}-{seed + episodes - 1} overlap the demonstrations' seeds {trainingSeeds[0]}-{trainingSeeds[1]}; choose a disjoint range");
        Seed = seed;
        Episodes = episodes;
        _log = log;
        _guard = guard;
    }

    public double Score(FlowMatchingTrainer trainer)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "checkpoint.onnx");
        OnnxPolicyExporter.Export(trainer, path);
        var r = PolicyEvaluator.EvaluateAsync(path, new EvalOptions { Episodes = Episodes, Seed = Seed, RunExpert = false }, _guard).GetAwaiter().GetResult();
        _log?.Invoke($"checkpoint: closed-loop success {r.PolicySuccessRate:P0} on seeds {Seed}-{Seed + Episodes - 1}");
        return r.PolicySuccessRate;
    }

    public void Dispose()
    {
        try { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
