using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Sim.Ros2;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot bench ros2`: JointState round trip through the ROS 2 link against Cyclone's ddsperf ping-pong, same
/// machine, same run, loopback only; p50/p99 and loss per rate, and our/ddsperf ratios. `--echo` is the echo process.
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
        var nodeRate = new Option<double>("--node-rate") { Description = "With --action: the `sim serve` node's tick rate in Hz (it answers goals on its tick)", DefaultValueFactory = _ => 1000 };
        var cmd = new Command("ros2", "Benchmark the ROS 2 link's JointState round trip against ddsperf (loopback); with --action also its action goals.")
            { rates, seconds, domain, echo, action, nodeRate };
        cmd.SetAction((parse, ct) =>
        {
            int d = parse.GetValue(domain);
            if (parse.GetValue(echo))
            {
                Ros2RoundTripBenchmark.Echo(d, ct);
                return Task.FromResult(0);
            }
            double secs = parse.GetValue(seconds);
            if (!(secs >= 1 && secs <= 600)) throw new ConfigurationException($"--seconds must be in [1, 600], got {secs}");
            var list = new List<double>();
            foreach (var r in parse.GetValue(rates)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                list.Add(double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var hz) && hz >= 1 && hz <= 5000
                    ? hz : throw new ConfigurationException($"--rates: '{r}' is not a rate in [1, 5000] Hz"));

            // the echo process: this same CLI with --echo
            var self = Environment.GetCommandLineArgs()[0];
            var psi = self.EndsWith(".dll", StringComparison.Ordinal)
                ? new ProcessStartInfo("dotnet", $"\"{self}\" bench ros2 --echo --ros-domain {d}")
                : new ProcessStartInfo(Environment.ProcessPath!, $"bench ros2 --echo --ros-domain {d}");
            psi.UseShellExecute = false;
            using var echoProc = Process.Start(psi)!;
            var results = new List<object>();
            var goals = new List<RoundTripStats>();
            double nodeHz = parse.GetValue(nodeRate);
            if (!(nodeHz >= 10 && nodeHz <= 5000)) throw new ConfigurationException($"--node-rate must be in [10, 5000] Hz, got {nodeHz}");
            try
            {
                foreach (var hz in list)
                {
                    var ours = Ros2RoundTripBenchmark.PingThroughLink(d, hz, secs);
                    var baseline = Ros2RoundTripBenchmark.PingDdsperf(d + 1, hz, secs);
                    results.Add(new
                    {
                        rate_hz = hz,
                        cortexbot = ours,
                        ddsperf = baseline,
                        p50_ratio = Math.Round(ours.P50Us / baseline.P50Us, 2),
                        p99_ratio = Math.Round(ours.P99Us / baseline.P99Us, 2),
                    });
                }
            }
            finally
            {
                if (!echoProc.HasExited) echoProc.Kill();
                echoProc.WaitForExit();
            }
            if (parse.GetValue(action))
            {
                int nd = d + 2;
                string args = $"sim serve --ros-domain {nd} --ros-loopback --no-camera --rate {nodeHz.ToString(CultureInfo.InvariantCulture)} --duration {(int)(list.Count * (secs + 8) + 30)}";
                var npsi = self.EndsWith(".dll", StringComparison.Ordinal)
                    ? new ProcessStartInfo("dotnet", $"\"{self}\" {args}")
                    : new ProcessStartInfo(Environment.ProcessPath!, args);
                npsi.UseShellExecute = false;
                npsi.RedirectStandardError = true;
                using var node = Process.Start(npsi)!;
                node.ErrorDataReceived += (_, _) => { };
                node.BeginErrorReadLine();
                try
                {
                    foreach (var hz in list) goals.Add(Ros2RoundTripBenchmark.GoalsThroughLink(nd, hz, secs, nodeHz));
                }
                finally
                {
                    if (!node.HasExited) node.Kill();
                    node.WaitForExit();
                }
            }
            Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "ros2 JointState round trip, loopback", seconds = secs, results, action_goals = goals },
                new JsonSerializerOptions { WriteIndented = true }));
            return Task.FromResult(0);
        });
        return cmd;
    }
}
