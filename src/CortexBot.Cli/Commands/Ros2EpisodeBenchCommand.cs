using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using CortexBot.Cli.Benchmarks;
using CortexBot.Core;
using CortexBot.Sim.Ros2;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot bench ros2-episodes`: whole episodes over loopback DDS against `sim serve --as-robot`, per command interface,
/// vs the embedded simulator on the same seeds in the same run. A command of its own: none of `bench ros2`'s round-trip
/// flags apply to it.
/// </summary>
internal static class Ros2EpisodeBenchCommand
{
    public static Command Create()
    {
        var defaults = new Ros2EpisodeBenchOptions { Task = "put the red cube in the bin" };
        var episodes = new Option<int>("--episodes") { Description = "Seeds measured (one episode per seed and path)", DefaultValueFactory = _ => defaults.Episodes };
        var firstSeed = new Option<int>("--first-seed") { Description = "Seed of the first episode's scene (then +1, ...)", DefaultValueFactory = _ => defaults.FirstSeed };
        var task = new Option<string>("--task") { Description = "The instruction", DefaultValueFactory = _ => defaults.Task };
        var noise = new Option<double>("--detection-noise") { Description = "sim serve's detection position noise (std, metres)", DefaultValueFactory = _ => defaults.DetectionNoise };
        var rate = new Option<double>("--detection-rate") { Description = "sim serve's detection frames per second", DefaultValueFactory = _ => defaults.DetectionRateHz };
        var interfaces = new Option<string>("--interfaces")
        {
            Description = $"Command interfaces measured, comma-separated: {string.Join(", ", Ros2EpisodeBenchmark.InterfaceNames)} " +
                "(topic: --trajectory-interface topic, action: --trajectory-interface action, forward: --command-interface forward)",
            DefaultValueFactory = _ => string.Join(',', defaults.Interfaces),
        };
        var domain = new Option<int>("--ros-domain")
        {
            Description = $"First DDS domain (loopback); the episodes take the {Ros2EpisodeBenchmark.DomainSpan} domains from it in turn",
            DefaultValueFactory = _ => defaults.FirstDomain,
        };
        var json = CliOutput.JsonOption();
        var cmd = new Command("ros2-episodes",
            "Episodes over DDS: run --robot ros2 --reset none against sim serve --as-robot (two processes, loopback) per command interface, " +
            "vs the embedded simulator on the same seeds: success rate, messages per episode, tracking error p99, robot time.")
            { episodes, firstSeed, task, noise, rate, interfaces, domain, json };
        cmd.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(episodes);
            if (n is < 1 or > 1000) throw new ConfigurationException($"--episodes must be between 1 and 1000, got {n}");
            int seed = parse.GetValue(firstSeed);
            if (seed < 0) throw new ConfigurationException($"--first-seed must be 0 or more, got {seed}");
            int d = parse.GetValue(domain);
            if (d < 0 || d > Ros2EpisodeBenchmark.MaxFirstDomain)
                throw new ConfigurationException($"--ros-domain must be between 0 and {Ros2EpisodeBenchmark.MaxFirstDomain} (the episodes use {Ros2EpisodeBenchmark.DomainSpan} domains from it), got {d}");
            string instruction = parse.GetValue(task)!;
            if (string.IsNullOrWhiteSpace(instruction)) throw new ConfigurationException("--task must not be empty");
            // the node's own checks, before anything starts
            var detections = new SimDetectionOptions { NoiseStd = parse.GetValue(noise), RateHz = parse.GetValue(rate) }.Validate();
            var list = new List<string>();
            foreach (var i in parse.GetValue(interfaces)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var name = i.ToLowerInvariant();
                if (!Ros2EpisodeBenchmark.InterfaceNames.Contains(name))
                    throw new ConfigurationException(Choices.Refusal("--interfaces", i, Ros2EpisodeBenchmark.InterfaceNames));
                if (list.Contains(name)) throw new ConfigurationException($"--interfaces names {name} twice");
                list.Add(name);
            }
            if (list.Count == 0) throw new ConfigurationException("--interfaces must name at least one interface");
            var options = new Ros2EpisodeBenchOptions
            {
                Task = instruction, Episodes = n, FirstSeed = seed, DetectionNoise = detections.NoiseStd, DetectionRateHz = detections.RateHz,
                Interfaces = list, FirstDomain = d,
            };

            // Ctrl-C and SIGTERM end the benchmark, never leaving its children behind: cancelled, they are killed on the way out
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // (a handler runs on a thread of its own and may run late, after the benchmark has ended and disposed cts)
            Action<PosixSignalContext> stop = c =>
            {
                c.Cancel = true;
                try { cts.Cancel(); }
                catch (ObjectDisposedException) { }
            };
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, stop);
            bool asJson = parse.GetValue(json);
            var progress = GlobalOptions.Progress(parse);
            progress?.Invoke($"bench ros2-episodes: {n} seed(s) from {seed}, paths embedded,{string.Join(',', list)}: " +
                $"about {n * (1 + list.Count) * 12} s");
            var report = await Ros2EpisodeBenchmark.RunAsync(options, progress, cts.Token);
            if (asJson) CliOutput.WriteJson(report);
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }
}
