using System.Diagnostics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Training.Demos;
using TorchSharp;
using static TorchSharp.torch;

namespace CortexBot.Cerebellum.Training;

public sealed record TrainOptions
{
    public int Steps { get; init; } = 4000;
    public int Seed { get; init; } = 1;
    public int Horizon { get; init; } = 16;
    public int FlowSteps { get; init; } = 8;
    public int BatchSize { get; init; } = 256;
    public double LearningRate { get; init; } = 1e-3;
    public int[] Hidden { get; init; } = [256, 256, 256];
    /// <summary>Fraction of successful episodes held out for validation (at least one when there are two or more).</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>How often (steps) progress is reported and validation loss computed.</summary>
    public int ReportEvery { get; init; } = 100;
    /// <summary>
    /// Observation entries the policy ignores: their normalisation std is set to 1e6 so they reach the network as ~0.
    /// Joint velocities are ignored by default: fed back in closed loop they made the policy extrapolate its own motion
    /// (joint 0 ran away in evaluation) although the held-out chunk error was small. The elapsed time is ignored by default
    /// too: a policy slower than the demonstrations would see times it was only shown in other phases of the task.
    /// </summary>
    public string[] IgnoredObservations { get; init; } = ["qd0", "qd1", "qd2", "qd3", "qd4", "qd5", "elapsed_s"];
    /// <summary>
    /// Every this many steps (and at the last step) the checkpoint is scored in closed loop by the scorer passed to
    /// <see cref="FlowMatchingTrainer.Train"/>, and the best-scoring checkpoint is kept instead of the last one; 0 = off.
    /// Closed-loop success varied far more between runs than validation loss showed, so loss alone picks badly.
    /// </summary>
    public int SelectEvery { get; init; }
    /// <summary>
    /// The observation entries each setpoint's joint actions are relative to: the last commanded joints (default) or the
    /// measured ones (<see cref="PolicyLayout.MeasuredJointNames"/>, the v1 policies). Relative to the measurement, a new
    /// chunk restarts from where the lagging arm is, pulling the command back at every seam.
    /// </summary>
    public string[] ActionsRelativeTo { get; init; } = PolicyLayout.CommandedJointNames;
}

public sealed record TrainProgress(int Step, int Steps, double TrainLoss, double? ValLoss, double ElapsedS);

/// <summary>Normalised tensors of one split: observations [S, O], action chunks [S, H*A].</summary>
internal sealed record SplitData(float[] Obs, float[] Chunks, int Count);

/// <summary>
/// Conditional flow matching (rectified flow) on action chunks with TorchSharp on the CPU. x_t = (1 - t)·ε + t·a,
/// target velocity a - ε, t ~ U(0, 1), ε ~ N(0, I), loss = MSE. Observations and actions are normalised with the
/// training split's mean and std. One torch thread and a seeded generator make a run reproducible from its seed.
/// </summary>
public sealed class FlowMatchingTrainer : IDisposable
{
    public TrainOptions Options { get; }
    public VelocityField Net { get; }
    public float[] ObsMean { get; private set; } = [];
    public float[] ObsStd { get; private set; } = [];
    public float[] ActMean { get; private set; } = [];
    public float[] ActStd { get; private set; } = [];
    public TrainingSummary? Summary { get; private set; }
    public double PolicyHz { get; private set; }
    public double ControlRateHz { get; private set; }
    /// <summary>How checkpoints are scored when <see cref="TrainOptions.SelectEvery"/> is on (recorded in the summary).</summary>
    public string? SelectionMethod { get; init; }

    private readonly int _o = PolicyLayout.ObservationSize, _a = PolicyLayout.ActionSize;
    public const float IgnoredStd = 1e6f;
    private readonly int[] _offsetIndex;
    /// <summary>Observation indices added to each setpoint's joint actions k = 0..5 (see <see cref="TrainOptions.ActionsRelativeTo"/>).</summary>
    public IReadOnlyList<int> OffsetIndex => _offsetIndex;

    public FlowMatchingTrainer(TrainOptions options)
    {
        if (options.Steps < 1) throw new Core.ConfigurationException($"--steps must be at least 1, got {options.Steps}");
        if (options.Horizon < 1 || options.FlowSteps < 1 || options.BatchSize < 1) throw new Core.ConfigurationException("horizon, flow steps and batch size must be positive");
        Options = options;
        if (options.ActionsRelativeTo.Length != PolicyLayout.Joints)
            throw new Core.ConfigurationException($"actions must be relative to {PolicyLayout.Joints} observation entries, got {options.ActionsRelativeTo.Length}");
        _offsetIndex = [.. options.ActionsRelativeTo.Select(n => Array.IndexOf(PolicyLayout.ObservationNames, n) is var i and >= 0 ? i
            : throw new Core.ConfigurationException($"actions cannot be relative to '{n}': it is not in the observation layout"))];
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(1);
        // Weight initialisation draws from torch's process-wide generator: seed and build under one lock, so two
        // trainers constructed at once (tests in parallel, a host training several policies) cannot interleave draws.
        lock (GlobalGeneratorLock)
        {
            torch.random.manual_seed(options.Seed);
            Net = new VelocityField(_o, options.Horizon * _a, options.Hidden);
        }
    }

    private static readonly object GlobalGeneratorLock = new();

    /// <summary>Builds (observation, chunk) samples: chunk t = actions t..t+H-1 (the last action repeated past the end), joint
    /// targets relative to the observation entries <see cref="TrainOptions.ActionsRelativeTo"/> at t.</summary>
    internal (float[] Obs, float[] Chunks, int Count) Samples(IEnumerable<DemoEpisode> episodes)
    {
        int h = Options.Horizon;
        var obs = new List<float>();
        var chunks = new List<float>();
        int count = 0;
        foreach (var ep in episodes)
        {
            int n = ep.Length;
            for (int t = 0; t < n; t++)
            {
                for (int k = 0; k < _o; k++) obs.Add(ep.Observations[t * _o + k]);
                for (int j = 0; j < h; j++)
                {
                    int src = Math.Min(t + j, n - 1);
                    // Joint targets relative to the observation at t (the gripper stays absolute).
                    for (int k = 0; k < _a; k++)
                        chunks.Add(ep.Actions[src * _a + k] - (k < PolicyLayout.Joints ? ep.Observations[t * _o + _offsetIndex[k]] : 0f));
                }
                count++;
            }
        }
        return ([.. obs], [.. chunks], count);
    }

    private static (float[] Mean, float[] Std) Stats(float[] data, int width, float minStd)
    {
        int rows = data.Length / width;
        var mean = new double[width];
        var sq = new double[width];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < width; k++) { double v = data[r * width + k]; mean[k] += v; sq[k] += v * v; }
        var m = new float[width];
        var s = new float[width];
        for (int k = 0; k < width; k++)
        {
            double mu = mean[k] / Math.Max(rows, 1);
            double var = sq[k] / Math.Max(rows, 1) - mu * mu;
            m[k] = (float)mu;
            s[k] = (float)Math.Max(Math.Sqrt(Math.Max(var, 0)), minStd);
        }
        return (m, s);
    }

    private void Normalise(float[] obs, float[] chunks)
    {
        for (int i = 0; i < obs.Length; i++) { int k = i % _o; obs[i] = (obs[i] - ObsMean[k]) / ObsStd[k]; }
        for (int i = 0; i < chunks.Length; i++) { int k = i % _a; chunks[i] = (chunks[i] - ActMean[k]) / ActStd[k]; }
    }

    /// <summary>Trains on the successful episodes of a dataset; returns the training summary.</summary>
    /// <param name="closedLoopScore">With <see cref="TrainOptions.SelectEvery"/> &gt; 0: scores the trainer's current network
    /// (e.g. success rate on validation seeds); higher is better, ties go to the later checkpoint.</param>
    public TrainingSummary Train(DemoInfo info, IReadOnlyList<DemoEpisode> episodes, string datasetPath, int totalEpisodes, Action<TrainProgress>? progress = null,
        Func<FlowMatchingTrainer, double>? closedLoopScore = null)
    {
        if (Options.SelectEvery < 0) throw new Core.ConfigurationException($"checkpoint selection interval must not be negative, got {Options.SelectEvery}");
        if (Options.SelectEvery > 0 && closedLoopScore is null)
            throw new Core.ConfigurationException("checkpoint selection by closed-loop success needs a scorer (validation seeds to run)");
        if (episodes.Count == 0) throw new Core.ConfigurationException($"{datasetPath} has no successful demonstration to train on");
        var sw = Stopwatch.StartNew();
        PolicyHz = info.Fps;
        ControlRateHz = info.ControlRateHz;
        // Episode-level split, shuffled by the seed.
        var rng = new Random(Options.Seed);
        var order = episodes.OrderBy(_ => rng.Next()).ToList();
        int nVal = episodes.Count >= 2 ? Math.Max(1, (int)Math.Round(episodes.Count * Options.ValidationFraction)) : 0;
        var valEps = order.Take(nVal).ToList();
        var trainEps = order.Skip(nVal).ToList();

        var (trObs, trChunks, trN) = Samples(trainEps);
        var (vaObs, vaChunks, vaN) = Samples(valEps);
        (ObsMean, ObsStd) = Stats(trObs, _o, 1e-2f);
        foreach (var name in Options.IgnoredObservations)
        {
            int k = Array.IndexOf(PolicyLayout.ObservationNames, name);
            if (k < 0) throw new Core.ConfigurationException($"ignored observation '{name}' is not in the layout");
            ObsMean[k] = 0;
            ObsStd[k] = IgnoredStd;
        }
        (ActMean, ActStd) = Stats(trChunks, _a, 1e-3f);
        Normalise(trObs, trChunks);
        Normalise(vaObs, vaChunks);

        int chunk = Options.Horizon * _a;
        using var trainObsT = torch.tensor(trObs, [trN, _o]);
        using var trainChunkT = torch.tensor(trChunks, [trN, chunk]);
        using var valObsT = vaN > 0 ? torch.tensor(vaObs, [vaN, _o]) : null;
        using var valChunkT = vaN > 0 ? torch.tensor(vaChunks, [vaN, chunk]) : null;
        using var gen = new torch.Generator((ulong)Options.Seed);

        var optimizer = torch.optim.Adam(Net.parameters(), Options.LearningRate);
        var schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, Options.Steps, Options.LearningRate * 0.05);
        Net.train();
        double ema = double.NaN, lastVal = double.NaN;
        var scores = new List<CheckpointScore>();
        Tensor[]? best = null;
        double bestScore = double.NegativeInfinity;
        int bestStep = Options.Steps;
        int batch = Math.Min(Options.BatchSize, trN);
        for (int step = 1; step <= Options.Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var idx = torch.randint(0, trN, [batch], dtype: ScalarType.Int64, generator: gen);
            var o = trainObsT.index_select(0, idx);
            var a = trainChunkT.index_select(0, idx);
            var eps = torch.randn([batch, chunk], generator: gen);
            var t = torch.rand([batch, 1], generator: gen);
            var xt = (1 - t) * eps + t * a;
            var v = Net.Velocity(o, xt, t);
            var loss = nn.functional.mse_loss(v, a - eps);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            schedule.step();
            double l = loss.item<float>();
            ema = double.IsNaN(ema) ? l : 0.95 * ema + 0.05 * l;
            if (!double.IsFinite(l)) throw new InvalidOperationException($"training diverged at step {step} (loss {l})");
            if (step % Options.ReportEvery == 0 || step == Options.Steps)
            {
                double? val = valObsT is not null ? ValidationLoss(valObsT, valChunkT!, Options.Seed + 1) : null;
                if (val is { } vl) lastVal = vl;
                progress?.Invoke(new TrainProgress(step, Options.Steps, ema, val, sw.Elapsed.TotalSeconds));
                Net.train();
            }
            if (Options.SelectEvery > 0 && (step % Options.SelectEvery == 0 || step == Options.Steps))
            {
                Net.eval();
                double score = closedLoopScore!(this);
                double? val = valObsT is not null ? Math.Round(ValidationLoss(valObsT, valChunkT!, Options.Seed + 1), 6) : null;
                scores.Add(new CheckpointScore(step, Math.Round(score, 4), val));
                if (score >= bestScore)
                {
                    bestScore = score;
                    bestStep = step;
                    foreach (var b in best ?? []) b.Dispose();
                    using (torch.no_grad()) best = [.. Net.parameters().Select(p => p.detach().clone().DetachFromDisposeScope())];
                }
                Net.train();
            }
        }
        if (best is not null)
        {
            using (torch.no_grad())
            {
                var ps = Net.parameters().ToArray();
                for (int i = 0; i < ps.Length; i++) ps[i].copy_(best[i]);
            }
            foreach (var b in best) b.Dispose();
            if (valObsT is not null) lastVal = ValidationLoss(valObsT, valChunkT!, Options.Seed + 1);
        }
        Net.eval();
        double valMse = valObsT is not null ? ValidationChunkMse(valObsT, valChunkT!) : double.NaN;
        long parameters = Net.parameters().Sum(p => p.numel());
        var seeds = episodes.Select(e => e.Info.Seed).ToArray();
        Summary = new TrainingSummary(datasetPath, info.BaseSeed, totalEpisodes, episodes.Count, trainEps.Count, valEps.Count, trN, vaN,
            [seeds.Min(), seeds.Max()], Options.Steps, batch, Options.LearningRate, Options.Seed, Math.Round(ema, 6),
            Math.Round(lastVal, 6), Math.Round(valMse, 6), Math.Round(sw.Elapsed.TotalSeconds, 1), parameters)
        {
            SelectedStep = scores.Count > 0 ? bestStep : null,
            Selection = scores.Count > 0 ? [.. scores] : null,
            SelectionMethod = scores.Count > 0 ? SelectionMethod : null,
        };
        return Summary;
    }

    /// <summary>Flow-matching loss on the validation split with a fixed noise seed (comparable across reports).</summary>
    private double ValidationLoss(Tensor obs, Tensor chunks, int seed)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Net.eval();
        using var g = new torch.Generator((ulong)seed);
        long n = obs.shape[0];
        var eps = torch.randn([n, chunks.shape[1]], generator: g);
        var t = torch.rand([n, 1], generator: g);
        var xt = (1 - t) * eps + t * chunks;
        return nn.functional.mse_loss(Net.Velocity(obs, xt, t), chunks - eps).item<float>();
    }

    /// <summary>MSE (normalised units) between the sampled chunk from zero noise and the demonstrated chunk, on validation.</summary>
    private double ValidationChunkMse(Tensor obs, Tensor chunks)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros_like(chunks);
        x = IntegrateNormalised(obs, x);
        return nn.functional.mse_loss(x, chunks).item<float>();
    }

    /// <summary>Euler integration of the learned field from t=0 to 1 in normalised units (the graph the exporter unrolls).</summary>
    internal Tensor IntegrateNormalised(Tensor obsNorm, Tensor noise)
    {
        var x = noise;
        double dt = 1.0 / Options.FlowSteps;
        for (int k = 0; k < Options.FlowSteps; k++)
        {
            var t = torch.full([obsNorm.shape[0], 1], k * dt, dtype: ScalarType.Float32);
            x = x + dt * Net.Velocity(obsNorm, x, t);
        }
        return x;
    }

    /// <summary>The policy as TorchSharp computes it: raw observations [N, O] and noise [N, H*A] → raw action chunks [N, H*A].</summary>
    public float[] Sample(float[] observations, float[] noise, int n)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Net.eval();
        var obs = torch.tensor(observations, [n, _o]);
        var obsN = (obs - torch.tensor(ObsMean)) / torch.tensor(ObsStd);
        var x = IntegrateNormalised(obsN, torch.tensor(noise, [n, Options.Horizon * _a]));
        var mean = torch.tensor(ActMean).repeat(Options.Horizon);
        var std = torch.tensor(ActStd).repeat(Options.Horizon);
        var offset = torch.zeros([n, Options.Horizon, _a]);
        using var idx = torch.tensor(_offsetIndex.Select(i => (long)i).ToArray());
        offset[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, PolicyLayout.Joints)] = obs.index_select(1, idx).unsqueeze(1);
        return (x * std + mean + offset.reshape(n, -1)).data<float>().ToArray();
    }

    public PolicyManifest Manifest(string onnxFileName) => new()
    {
        Model = onnxFileName,
        Opset = OnnxPolicyExporter.Opset,
        Inputs = [new TensorSpec(PolicyGraph.ObservationInput, ["N", _o.ToString()]), new TensorSpec(PolicyGraph.NoiseInput, ["N", (Options.Horizon * _a).ToString()])],
        Outputs = [new TensorSpec(PolicyGraph.ActionsOutput, ["N", Options.Horizon.ToString(), _a.ToString()])],
        ObservationNames = PolicyLayout.ObservationNames,
        ActionNames = PolicyLayout.ActionNames,
        ObservationMean = ObsMean, ObservationStd = ObsStd, ActionMean = ActMean, ActionStd = ActStd,
        Horizon = Options.Horizon, FlowSteps = Options.FlowSteps, PolicyHz = PolicyHz, ControlRateHz = ControlRateHz,
        Hidden = Options.Hidden, Training = Summary, IgnoredObservations = Options.IgnoredObservations,
        RelativeJointActions = true, ActionOffsetObservations = Options.ActionsRelativeTo,
    };

    public void Dispose() => Net.Dispose();
}
