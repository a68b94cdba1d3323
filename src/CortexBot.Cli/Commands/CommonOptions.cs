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

    /// <summary>A frame size WIDTHxHEIGHT; <paramref name="even"/> for H.264 video (4:2:0 chroma needs even sides).</summary>
    public static (int Width, int Height) ParseFrameSize(string text, string flag, bool even = false)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], out int w) && int.TryParse(parts[1], out int h) && w > 0 && h > 0
            && (!even || (w % 2 == 0 && h % 2 == 0)))
            return (w, h);
        throw new ConfigurationException($"{flag} must be WIDTHxHEIGHT with positive{(even ? " even" : "")} integers (e.g. 320x240), got '{text}'.");
    }

}
