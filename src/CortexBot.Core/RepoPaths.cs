namespace CortexBot.Core;

/// <summary>
/// Locates the installation root (the folder holding <c>agents/</c>, <c>sim/</c> and <c>policies/</c>):
/// <c>CORTEXBOT_HOME</c> when set, else the nearest ancestor of the working directory or of the binaries that has <c>CortexBot.sln</c> or <c>agents/skills.json</c>.
/// </summary>
public static class RepoPaths
{
    public static string Root => _root ??= FindRoot();
    private static string? _root;

    public static string Agents => Path.Combine(Root, "agents");
    public static string Sim => Path.Combine(Root, "sim");
    public static string Policies => Path.Combine(Root, "policies");
    public static string DefaultScene => Path.Combine(Sim, "scene.xml");
    public static string DefaultSkillCatalogue => Path.Combine(Agents, "skills.json");

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("CORTEXBOT_HOME");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CortexBot.sln")) ||
                    File.Exists(Path.Combine(dir.FullName, "agents", "skills.json")))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
