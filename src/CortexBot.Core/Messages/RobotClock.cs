namespace CortexBot.Core.Messages;

/// <summary>
/// Ask the cerebellum for the robot clock; answered by <see cref="RobotClock"/>. Robot time is the control loop's tick
/// count, which runs with wall time in real-time pacing and only while there is work in fast pacing, so whoever times
/// robot activity asks the robot instead of measuring wall time (the brain node has no control loop to read).
/// </summary>
public sealed record GetRobotClock
{
    public static readonly GetRobotClock Instance = new();
}

/// <summary>The robot clock when the cerebellum answered: control ticks since the loop started, and the tick period.</summary>
/// <param name="LastSkillEndTick">
/// The tick after the one that ended the last skill program the cerebellum ran (the robot's own stamp of a step's end,
/// free of the time the result took to reach the asker); -1 while a skill runs or before the first one ended.
/// </param>
public sealed record RobotClock(long Tick, double PeriodS, long LastSkillEndTick = -1)
{
    /// <summary>Robot seconds from <paramref name="startTick"/> to this reading.</summary>
    public double SecondsSince(long startTick) => (Tick - startTick) * PeriodS;
}

/// <summary>
/// Start the motion trace of episode <paramref name="TaskId"/> at the current control tick (robot time 0 of its steps);
/// answered by <see cref="EpisodeTraceStarted"/>, also when the robot records no trace.
/// </summary>
public sealed record BeginEpisodeTrace(Guid TaskId);

/// <summary>The episode's robot time starts at tick <paramref name="StartTick"/>; a tick lasts <paramref name="PeriodS"/>.</summary>
public sealed record EpisodeTraceStarted(Guid TaskId, long StartTick, double PeriodS);

/// <summary>The episode begun at <paramref name="StartTick"/> is over: answered by <see cref="EpisodeTraceEnded"/>.</summary>
public sealed record EndEpisodeTrace(Guid TaskId, long StartTick);

/// <summary>
/// The episode's robot time from its start tick to now, and its motion trace copied off the control loop's buffer (null
/// when the robot records none, or the recorder has moved on to another episode).
/// </summary>
public sealed record EpisodeTraceEnded(Guid TaskId, double RobotSeconds, EpisodeTrace? Trace);
