using System.Net;
using Akka.Actor;
using Akka.Hosting;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Host;
using CortexBot.Host.Media;
using CortexBot.Video;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CortexBot.View.Tests;

/// <summary>The live view in a real headless Chromium (Debian's), during a real episode in the embedded simulator.</summary>
public sealed class LiveViewTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-view-").FullName;

    /// <summary>Screenshots are kept here as the tests' artifacts.</summary>
    private static string Artifacts => Directory.CreateDirectory(Path.Combine(RepoPaths.Root, ".build", "test-artifacts")).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(IPlaywright, IBrowser)> Chromium()
    {
        var executable = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Debian's chromium is not installed: sudo apt-get install chromium (make test installs it)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable, Headless = true, Args = ["--no-sandbox", "--disable-gpu"],
        });
        return (playwright, browser);
    }

    [Fact]
    public async Task During_a_real_episode_the_page_shows_the_plan_and_the_joint_plot_moves()
    {
        var options = new CortexBotOptions
        {
            MemoryPath = Path.Combine(_dir, "memory.db"), RealtimePriority = false,
            Live = new LiveFeedOptions { Telemetry = new IPEndPoint(IPAddress.Loopback, 0) },
        };
        using var host = CortexBotRunner.Build(options);
        await host.StartAsync();
        var (playwright, browser) = await Chromium();
        try
        {
            var feed = host.Services.GetRequiredService<LiveEpisodeFeed>();
            await using var view = await ViewServer.StartAsync(new ViewOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Attach = feed.TelemetryEndpoint });
            var page = await browser.NewPageAsync();
            await page.GotoAsync(view.Url.ToString());
            Assert.Equal("CortexBot", await page.TitleAsync());

            var ns = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<NervousSystem>();
            var episode = ns.Ask<object>(new RunEpisode("put the red cube in the bin", 3), TimeSpan.FromMinutes(2));

            // The plan appears, with a step running.
            await page.WaitForSelectorAsync("#plan li[data-status=running]", new() { Timeout = 30_000 });
            Assert.Contains("pick", await page.InnerTextAsync("#plan"));
            // The joint plot moves: updates keep arriving at the feed's rate and the arm's joints change.
            double before = await page.EvaluateAsync<double>("window.cortexbot.updates");
            string firstJoints = await page.EvaluateAsync<string>("JSON.stringify(window.cortexbot.joints.at(-1).q)");
            await page.WaitForTimeoutAsync(1000);
            double after = await page.EvaluateAsync<double>("window.cortexbot.updates");
            string laterJoints = await page.EvaluateAsync<string>("JSON.stringify(window.cortexbot.joints.at(-1).q)");
            output.WriteLine($"{after - before} joint updates in 1 s");
            Assert.True(after - before >= 10, $"only {after - before} joint updates reached the page in 1 s (10 Hz or more wanted)");
            Assert.NotEqual(firstJoints, laterJoints);
            // The camera image is drawn.
            await page.WaitForFunctionAsync("!document.querySelector('#camera-info').textContent.includes('no image')", null, new() { Timeout = 10_000 });
            Assert.StartsWith("320x240", await page.InnerTextAsync("#camera-info"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "live-view-during-episode.png"), FullPage = true });

            var outcome = Assert.IsType<EpisodeOutcome>(await episode);
            Assert.True(outcome.Episode.Success, outcome.Episode.FailureReason);
            await page.WaitForFunctionAsync("document.querySelector('#plan-task').textContent.includes('succeeded')", null, new() { Timeout = 10_000 });
            Assert.True(await page.EvaluateAsync<bool>("document.querySelector('#rate').textContent.includes('Hz')"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "live-view-after-episode.png"), FullPage = true });
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_memory_browser_lists_searches_and_shows_an_episode_with_its_video()
    {
        var memory = Path.Combine(_dir, "memory.db");
        var run = await CortexBotRunner.RunAsync(new CortexBotOptions { MemoryPath = memory, Pacing = Cerebellum.Control.Pacing.Fast },
            "put the green cube in the bin", 1, 5);
        Assert.Equal(1.0, run.Report!.SuccessRate);
        using var store = Hippocampus.Postgres.MemoryStores.OpenMemory(memory, readOnly: true);
        var (playwright, browser) = await Chromium();
        try
        {
            await using var view = await ViewServer.StartAsync(new ViewOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0), Memory = store, VideoCache = Path.Combine(_dir, "videos"),
                RenderVideo = (e, path, ct) => Task.Run(() => EpisodeVideo.Render(e, RepoPaths.DefaultScene, path, cancellation: ct), ct),
            });
            var page = await browser.NewPageAsync();
            await page.GotoAsync(view.Url.ToString());
            await page.WaitForSelectorAsync("#episodes tbody tr");
            Assert.Contains("green cube", await page.InnerTextAsync("#episodes"));
            await page.FillAsync("#q", "red");
            await page.ClickAsync("#search button");
            await page.WaitForFunctionAsync("document.querySelectorAll('#episodes tbody tr').length === 0");
            await page.FillAsync("#q", "green");
            await page.ClickAsync("#search button");
            await page.ClickAsync("#episodes tbody tr");
            await page.WaitForSelectorAsync("#episode-detail video");
            Assert.Contains("pick", await page.InnerTextAsync("#episode-detail"));
            // The video the page plays is a real H.264 file, one frame per trace sample.
            var src = await page.GetAttributeAsync("#episode-detail video", "src");
            var bytes = await (await page.APIRequest.GetAsync(new Uri(view.Url, src).ToString(), new() { Timeout = 120_000 })).BodyAsync();
            var file = Path.Combine(_dir, "from-page.mp4");
            await File.WriteAllBytesAsync(file, bytes);
            var info = Ffmpeg.Probe(file);
            var stored = store.Get(run.Report.Episodes[0].EpisodeId)!;
            Assert.Equal(("h264", stored.Trace!.Count), (info.Codec, info.Frames));
            await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "live-view-memory.png"), FullPage = true });
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
