using System.Text.RegularExpressions;
using CortexBot.Core;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>The `cortexbot` launcher and the dependency installer, as a new user meets them.</summary>
public sealed class LauncherTests(ITestOutputHelper output)
{
    private static readonly string Launcher = Path.Combine(RepoPaths.Root, "cortexbot");

    [Fact]
    public void Launcher_works_through_a_symlink_on_path()
    {
        var bin = Directory.CreateTempSubdirectory("cortexbot-path-").FullName;
        var away = Directory.CreateTempSubdirectory("cortexbot-cwd-").FullName;
        try
        {
            // as a user installs it: a link in a PATH folder, run from somewhere else, and the link of a link
            var link = Path.Combine(bin, "cortexbot");
            File.CreateSymbolicLink(link, Launcher);
            var linkOfLink = Path.Combine(away, "cb");
            File.CreateSymbolicLink(linkOfLink, link);
            var env = new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") };
            // the launcher builds the CLI on first use: allow it the time of a build
            var r = CliProcess.Start("cortexbot", ["--help"], env, away, TimeSpan.FromMinutes(10));
            output.WriteLine(r.Stderr);
            Assert.True(r.Code == 0, r.Stderr);
            Assert.Contains("bench", r.Stdout);
            Assert.Contains("run", r.Stdout);
            var v = CliProcess.Start(linkOfLink, ["--version"], env, away, TimeSpan.FromMinutes(10));
            Assert.True(v.Code == 0, v.Stderr);
            Assert.Matches(@"^\d+\.\d+", v.Stdout.Trim());
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
            Directory.Delete(away, recursive: true);
        }
    }

    private static string[] Packages(string set)
    {
        var r = CliProcess.Start("bash", [Path.Combine(RepoPaths.Root, ".ci", "install-deps.sh"), "--list", set]);
        Assert.True(r.Code == 0, r.Stderr);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Demo_installs_runtime_dependencies_only_and_test_installs_both()
    {
        var runtime = Packages("runtime");
        var test = Packages("test");
        Assert.Contains("libmujoco-dev", runtime);
        Assert.Contains("cyclonedds-dev", runtime);
        foreach (var testOnly in new[] { "postgresql", "python3-yaml", "cyclonedds-tools" })
        {
            Assert.DoesNotContain(testOnly, runtime);
            Assert.Contains(testOnly, test);
        }
        Assert.All(runtime, p => Assert.Contains(p, test));
        Assert.Equal(2, CliProcess.Start("bash", [Path.Combine(RepoPaths.Root, ".ci", "install-deps.sh"), "--list", "everything"]).Code);

        // make demo reaches the runtime set, make test the test set (a dry run: nothing is installed or run)
        var demo = CliProcess.Start("make", ["-n", "-C", RepoPaths.Root, "demo"]);
        Assert.True(demo.Code == 0, demo.Stderr);
        Assert.Matches(new Regex(@"install-deps\.sh runtime\b"), demo.Stdout);
        Assert.DoesNotMatch(new Regex(@"install-deps\.sh test\b"), demo.Stdout);
        var tests = CliProcess.Start("make", ["-n", "-C", RepoPaths.Root, "test"]);
        Assert.True(tests.Code == 0, tests.Stderr);
        Assert.Matches(new Regex(@"install-deps\.sh test\b"), tests.Stdout);
    }
}
