using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Skills;

/// <summary>
/// How the cerebellum honours a skill's safety speed cap (<see cref="Core.Messages.ExecuteSkill.MaxToolSpeed"/>, from the
/// safety screen's <c>modify</c> verdict): the skill is compiled by a compiler timed for the cap, so the arm is not left
/// behind its own trajectory, and the gate (<see cref="IToolSpeedCap"/>) enforces it on every command while the skill runs.
/// </summary>
/// <param name="compilerFor">A compiler whose motions stay under the given tool speed (m/s); called once per distinct cap.</param>
public sealed class SpeedCapping(IToolSpeedCap gate, Func<double, SkillCompiler> compilerFor)
{
    private readonly Dictionary<double, SkillCompiler> _compilers = [];

    public IToolSpeedCap Gate { get; } = gate ?? throw new ArgumentNullException(nameof(gate));

    public SkillCompiler CompilerFor(double maxToolSpeed)
    {
        if (!_compilers.TryGetValue(maxToolSpeed, out var c)) _compilers[maxToolSpeed] = c = compilerFor(maxToolSpeed);
        return c;
    }

    /// <summary>The usual setup: <paramref name="compiler"/>'s parameters with the tool speed lowered to the cap.</summary>
    public static SpeedCapping For(IToolSpeedCap gate, Func<SkillParameters, SkillCompiler> withParameters, SkillParameters parameters) =>
        new(gate, cap => withParameters(parameters with { MaxToolSpeed = Math.Min(parameters.MaxToolSpeed, cap) }));
}
