using Akka.Hosting;
using CortexBot.Cluster.Remoting;
using CortexBot.Cluster.Wire;
using CortexBot.Core;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Nodes;

/// <summary>
/// The Akka.Cluster configuration of the two CortexBot nodes: the <c>robot</c> node (control loop, safety gate, robot link)
/// and the <c>brain</c> node (planner, memory, episodes). Plain HOCON over Akka.Cluster; which organs run where is the host's.
/// </summary>
/// <remarks>
/// <para>Membership: the robot node joins itself and so is always the oldest member; a brain joins it (in code, so a
/// robot node bound to port 0 needs no seed list).</para>
/// <para>Failure detection: heartbeats every 200 ms, a pause of 1 s accepted, unreachability checked every 100 ms, so a
/// stalled peer is flagged unreachable within about 1.3 s; a killed peer closes its connection, which each side takes at
/// once. Each side reacts to those (the robot holds the arm, the brain ends its episode), not to the downing that
/// follows.</para>
/// <para>Downing (two nodes, so no majority): the split-brain resolver keeps the oldest <c>robot</c> node with
/// <c>down-if-alone = off</c>, so the robot node never downs itself because a brain vanished; it downs the brain after
/// <see cref="StableAfter"/>, and a brain cut off from its robot node downs itself.</para>
/// <para>Frames: <see cref="MaximumFrameSize"/> fits the largest <see cref="EpisodeTraceEnded"/> the wire can carry (the
/// trace crosses whole, in one frame, at the end of an episode, when nothing else is in flight).</para>
/// </remarks>
public static class ClusterNodeConfig
{
    /// <summary>Both nodes' actor system name (an address names it: nodes of different names never meet).</summary>
    public const string SystemName = "cortexbot";

    /// <summary>How long an unreachable member stays before the split-brain resolver downs it.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(3);

    /// <summary>The robot node's actor that brains attach to, under /user.</summary>
    public const string RobotNodeActorName = "robot-node";

    public static string Role(NodeRole role) => role == NodeRole.Robot ? "robot" : "brain";

    /// <summary>
    /// The largest frame the wire may need: an <see cref="EpisodeTraceEnded"/> carrying the largest trace
    /// <see cref="EpisodeTrace"/> accepts (joints, objects and samples at their maxima, names at 255 bytes: about 17 MB),
    /// plus 64 KiB for the envelope (recipient and sender paths, manifest). The trace crosses whole rather than chunked: it
    /// crosses once, at an episode's end, while nothing else of that episode is in flight.
    /// </summary>
    public static int MaximumFrameSize { get; } = checked(
        28 + (EpisodeTrace.MaxJoints + EpisodeTrace.MaxObjects) * 256
        + EpisodeTrace.MaxSamples * (EpisodeTrace.MaxJoints + 1 + EpisodeTrace.MaxObjects * EpisodeTrace.PoseWidth) * sizeof(float)
        + 64 // the frame header and the message's other fields (task id, robot seconds, the trace's length prefix)
        + 64 * 1024);

    /// <summary>
    /// The whole configuration of a node with <paramref name="role"/> on <paramref name="transport"/> (its bind address,
    /// advertised host and TLS; a TLS transport also needs its <see cref="NodeTransport.SslSetup"/>, which
    /// <see cref="AddCortexBotNode"/> adds).
    /// </summary>
    public static string Hocon(NodeRole role, NodeTransport transport) => transport.Hocon + "\n" + Frames + "\n" + $$"""
        akka {
          actor.provider = cluster
          cluster {
            roles = ["{{Role(role)}}"]
            # joined in code (JoinSelf on the robot node, Join(robot) on a brain), never from a stale list
            seed-nodes = []
            failure-detector {
              heartbeat-interval = 200ms
              # 1 s: a loaded 2-core machine delays heartbeats by 0.5 s now and then (and Akka warns from 2/3 of this)
              acceptable-heartbeat-pause = 1s
              threshold = 8.0
              min-std-deviation = 100ms
            }
            unreachable-nodes-reaper-interval = 100ms
            downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            split-brain-resolver {
              active-strategy = keep-oldest
              stable-after = {{(int)StableAfter.TotalMilliseconds}}ms
              keep-oldest {
                down-if-alone = off
                role = "robot"
              }
            }
            # a brain that leaves or is downed ends its actor system; the host ends its run with it
            run-coordinated-shutdown-when-down = on
            log-info-verbose = off
          }
          # association errors and disassociations are each node's to report in its own words (a brain gone, the robot
          # node lost), not Akka.Remote's stack traces
          remote.log-remote-lifecycle-events = off
          # a remote watch (the robot node watches the attached brain) uses the same quick detector
          remote.watch-failure-detector {
            heartbeat-interval = 200ms
            acceptable-heartbeat-pause = 1s
            unreachable-nodes-reaper-interval = 200ms
          }
        }
        """;

    /// <summary>Akka.Remote's frame and socket buffer sizes for <see cref="MaximumFrameSize"/>, over the transport's own settings.</summary>
    private static string Frames => $$"""
        akka.remote.dot-netty.tcp {
          maximum-frame-size = {{MaximumFrameSize}}b
          send-buffer-size = {{MaximumFrameSize}}b
          receive-buffer-size = {{MaximumFrameSize}}b
        }
        """;

    /// <summary>
    /// Adds the node configuration ahead of the host's own settings, the transport's TLS setup (certificate and peer
    /// validation) when it has one, and the wire serializer.
    /// </summary>
    public static AkkaConfigurationBuilder AddCortexBotNode(this AkkaConfigurationBuilder builder, NodeRole role, NodeTransport transport)
    {
        builder.AddHocon(Hocon(role, transport), HoconAddMode.Prepend);
        if (transport.SslSetup is { } ssl) builder.AddSetup(ssl);
        return builder.AddCortexBotWire();
    }
}
