using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host.Tests;

/// <summary>A message no organ handles is logged as a warning naming it; a whole episode produces none.</summary>
public sealed class UnhandledMessageTests
{
    private sealed record NobodyHandlesThis(int N);

    [Fact]
    public async Task A_message_no_organ_handles_is_logged_with_its_type_and_recipient()
    {
        var logs = new CapturingLoggerProvider();
        using var host = CortexBotRunner.Build(TestOptions.Fast(), s => s.AddSingleton<ILoggerProvider>(logs));
        await host.StartAsync();
        try
        {
            var ns = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<NervousSystem>();
            ns.Tell(new NobodyHandlesThis(7));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !logs.Entries.Any(e => e.Message.Contains(nameof(NobodyHandlesThis))))
                await Task.Delay(20);
            var entry = Assert.Single(logs.Entries, e => e.Message.Contains(nameof(NobodyHandlesThis)));
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Contains("nervous-system", entry.Message);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task An_episode_leaves_no_unhandled_message()
    {
        var logs = new CapturingLoggerProvider();
        var result = await CortexBotRunner.RunAsync(TestOptions.Fast(), "put the red cube in the bin", 1, 1, s => s.AddSingleton<ILoggerProvider>(logs));
        Assert.Single(result.Report!.Episodes);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("unhandled message"));
    }
}
