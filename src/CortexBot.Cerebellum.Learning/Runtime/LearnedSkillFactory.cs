using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>
/// Serves the skill <c>learned_pick_place(object, container)</c> from an ONNX flow policy. The policy is loaded and
/// validated once, at construction; one expert and one chunk executor are reused by every invocation (each program's
/// Begin resets the executor). In fast pacing the executor runs in lockstep (the tick waits for its chunk, so runs are
/// deterministic); in real time it never waits.
/// </summary>
public sealed class LearnedSkillFactory : ISkillFactory, IDisposable
{
    private readonly OnnxActionExpert _expert;
    private readonly ChunkedPolicyExecutor _executor;
    private readonly IObjectPoses _poses;

    public LearnedSkillFactory(string policyPath, ArmKinematics kinematics, IObjectPoses poses, ControlLoopOptions loop, OnnxDevice device = OnnxDevice.Cpu)
    {
        if (!File.Exists(policyPath)) throw new ConfigurationException($"policy file not found: {policyPath}");
        try
        {
            // Zero initial noise: the flow's deterministic mode, as the evaluator measures it.
            _expert = new OnnxActionExpert(policyPath, device: device) { DeterministicNoise = true };
        }
        catch (ConfigurationException) { throw; }
        catch (Exception e) { throw new ConfigurationException($"policy {policyPath} could not be loaded: {e.Message}"); }
        try
        {
            _executor = new ChunkedPolicyExecutor(_expert, kinematics, loop.RateHz,
                new ChunkExecutionOptions { ExecuteSteps = _expert.Horizon, BlendSteps = 4, Lockstep = loop.Pacing == Pacing.Fast });
        }
        catch
        {
            _expert.Dispose();
            throw;
        }
        _poses = poses;
        PolicyPath = Path.GetFullPath(policyPath);
        Identity = IdentityOf(PolicyPath);
    }

    public string PolicyPath { get; }

    /// <summary>The execution provider that runs the policy ("CPU" or "CUDA").</summary>
    public string Device => _expert.Provider;

    /// <summary>Why the requested device is not the one running (CUDA unavailable), or null.</summary>
    public string? DeviceFallback => _expert.DeviceFallback;

    /// <summary>What episodes remember about the policy that ran: its file name and content hash.</summary>
    public PolicyIdentity Identity { get; }

    /// <summary>
    /// The file name and <c>sha256:</c> with the first 16 hex digits of the .onnx file's SHA-256: the same bytes are the
    /// same policy wherever the file was copied (the manifest is derived from the same export, so it is not hashed again).
    /// </summary>
    public static PolicyIdentity IdentityOf(string policyPath)
    {
        using var file = File.OpenRead(policyPath);
        var hash = System.Security.Cryptography.SHA256.HashData(file);
        return new PolicyIdentity(Path.GetFileName(policyPath), "sha256:" + Convert.ToHexStringLower(hash)[..16]);
    }
    public ChunkedPolicyExecutor Executor => _executor;

    public bool Handles(string skill) => skill == SkillNames.LearnedPickPlace;

    public CompiledSkill Compile(SkillInvocation skill, SceneSnapshot scene, ArmContext arm)
    {
        if (skill.Args.Length != 2)
            return CompiledSkill.Fail(AnomalyKinds.Fault, $"{SkillNames.LearnedPickPlace} takes (object, container), got {skill}");
        var obj = scene.Find(skill.Args[0]);
        var container = scene.Find(skill.Args[1]);
        if (obj is null) return CompiledSkill.Fail(AnomalyKinds.Fault, $"{skill.Args[0]} is not in the scene");
        if (container is null) return CompiledSkill.Fail(AnomalyKinds.Fault, $"{skill.Args[1]} is not in the scene");
        if (obj.IsContainer) return CompiledSkill.Fail(AnomalyKinds.Fault, $"{obj.Name} is a container and cannot be picked");
        if (!container.IsContainer) return CompiledSkill.Fail(AnomalyKinds.Fault, $"{container.Name} is not a container");
        int index = _poses.IndexOf(obj.Name);
        if (index < 0) return CompiledSkill.Fail(AnomalyKinds.Fault, $"the robot cannot observe {obj.Name}'s pose");
        return new CompiledSkill(new LearnedPickPlaceProgram(skill.ToString(), _executor, _poses, index, container), null, null);
    }

    public void Dispose()
    {
        _executor.Dispose();
        _expert.Dispose();
    }
}
