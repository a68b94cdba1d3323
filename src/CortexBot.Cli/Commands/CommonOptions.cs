using System.CommandLine;
using System.Text.Json;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string?> SceneOption() => new("--scene") { Description = "MJCF scene file (default sim/scene.xml)" };

}
