using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CortexBot.Brainstem.Ros2;
using CortexBot.Cli.Benchmarks;
using CortexBot.Core;
using CortexBot.Core.Json;
using CortexBot.Sim.Ros2;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot bench ros2`: JointState round trip through the ROS 2 link against Cyclone's ddsperf ping-pong, same
/// machine, same run, loopback only; p50/p99 and loss per rate, and our/ddsperf ratios. `--echo` is the echo process.
/// Ratios compare like with like: round trips on both sides (ddsperf prints half of one: doubled), summed up per second
/// as ddsperf does (median of the p50s, largest p99). The echo runs in .NET (`managed`) and, as ddsperf's pong is C, in
/// the shim's plain C loop (`native`): `--peer` picks, both by default.
/// </summary>
internal static class Ros2BenchCommand
{
    public static Command Create()
    {
        var rates = new Option<string>("--rates") { Description = "Comma-separated rates in Hz", DefaultValueFactory = _ => "500,1000" };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per rate (after 1 s of warm-up)", DefaultValueFactory = _ => 5 };
        var domain = new Option<int>("--ros-domain") { Description = "DDS domain for the benchmark", DefaultValueFactory = _ => 199 };
        var echo = new Option<bool>("--echo") { Description = "Run the echo side (started by the benchmark itself)" };
        var action = new Option<bool>("--action") { Description = "Also measure FollowJointTrajectory send_goal round trips through the link against a `sim serve` process" };
        var peer = new Option<string>("--peer") { Description = "Which echo answers the link's pings: managed (this CLI), native (the shim's C loop, as ddsperf's pong is C) or both", DefaultValueFactory = _ => "both" };
        var nodeRate = new Option<double>("--node-rate") { Description = "With --action: the `sim serve` node's tick rate in Hz (it answers goals on its tick)", DefaultValueFactory = _ => 1000 };
        var cmd = new Command("ros2", "Benchmark the ROS 2 link's JointState round trip against ddsperf (loopback); with --action also its action goals.")
            { rates, seconds, domain, echo, action, nodeRate, peer };
        cmd.SetAction((parse, ct) =>
        {
            int d = parse.GetValue(domain);
            var peerText = parse.GetValue(peer)!.Trim().ToLowerInvariant();
            EchoPeer[] peers = peerText switch
            {
                "managed" => [EchoPeer.Managed],
                "native" => [EchoPeer.Native],
                "both" => [EchoPeer.Managed, EchoPeer.Native],
                _ => throw new ConfigurationException($"--peer must be managed, native or both, got '{peerText}'"),
            };
            if (parse.GetValue(echo))
            {
                if (peers.Length != 1) throw new ConfigurationException("--echo takes --peer managed or native");
                Ros2RoundTripBenchmark.Echo(d, ct, peers[0]);
                return Task.FromResult(0);
            }
            double secs = parse.GetValue(seconds);
            if (!(secs >= 1 && secs <= 600)) throw new ConfigurationException($"--seconds must be in [1, 600], got {secs}");
            var list = new List<double>();
            foreach (var r in parse.GetValue(rates)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                list.Add(double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var hz) && hz >= 1 && hz <= 5000
                    ? hz : throw new ConfigurationException($"--rates: '{r}' is not a rate in [1, 5000] Hz"));

            double nodeHz = parse.GetValue(nodeRate);
            if (!(nodeHz >= 10 && nodeHz <= 5000)) throw new ConfigurationException($"--node-rate must be in [10, 5000] Hz, got {nodeHz}");
            var results = new List<object>();
            var goals = new List<RoundTripStats>();
            // the echo processes (this same CLI with --echo, one per peer kind, each on its own domain: d and d + 3) and the `sim serve`
            // node: children that never outlive the benchmark
            using var children = new ChildProcesses();
            var echoes = new List<(EchoPeer Peer, int Domain, System.Diagnostics.Process Process)>();
            try
            {
                for (int i = 0; i < peers.Length; i++)
                {
                    int ed = peers[i] == EchoPeer.Managed ? d : d + 3; // d + 1: ddsperf, d + 2: the action node
                    var proc = children.Start(["bench", "ros2", "--echo", "--peer", peers[i].ToString().ToLowerInvariant(), "--ros-domain", ed.ToString(CultureInfo.InvariantCulture)]);
                    ChildProcesses.DiscardOutput(proc);
                    echoes.Add((peers[i], ed, proc));
                }
                foreach (var hz in list)
                {
                    var baseline = Ros2RoundTripBenchmark.PingDdsperf(d + 1, hz, secs);
                    var row = new Dictionary<string, object> { ["rate_hz"] = hz, ["ddsperf"] = baseline };
                    foreach (var e in echoes)
                    {
                        var ours = Ros2RoundTripBenchmark.PingThroughLink(e.Domain, hz, secs, e.Peer);
                        string key = e.Peer == EchoPeer.Managed ? "cortexbot" : "cortexbot_native_echo";
                        row[key] = ours;
                        // like with like: both summed up per second as ddsperf does
                        row[key + "_p50_ratio"] = Math.Round(ours.WindowP50Us!.Value / baseline.P50Us, 2);
                        row[key + "_p99_ratio"] = Math.Round(ours.WindowP99Us!.Value / baseline.P99Us, 2);
                    }
                    results.Add(row);
                }
            }
            finally
            {
                foreach (var e in echoes) children.Kill(e.Process);
            }
            if (parse.GetValue(action))
            {
                int nd = d + 2;
                var node = children.Start(["sim", "serve", "--ros-domain", nd.ToString(CultureInfo.InvariantCulture), "--ros-loopback", "--no-camera",
                    "--rate", nodeHz.ToString(CultureInfo.InvariantCulture), "--duration", ((int)(list.Count * (secs + 8) + 30)).ToString(CultureInfo.InvariantCulture)]);
                ChildProcesses.DiscardOutput(node);
                try
                {
                    foreach (var hz in list) goals.Add(Ros2RoundTripBenchmark.GoalsThroughLink(nd, hz, secs, nodeHz));
                }
                finally
                {
                    children.Kill(node);
                }
            }
            Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "ros2 JointState round trip, loopback", seconds = secs, results, action_goals = goals },
                // a rate with no echo observed has no percentiles: NaN is written as the string "NaN", not a crash
                new JsonSerializerOptions(CortexBotJson.Indented) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return Task.FromResult(0);
        });
        return cmd;
    }
}
