"""Shared pieces of CortexBot's launch files: where the package's files are and how CortexBot is started."""
import os

PACKAGE = 'cortexbot_bringup'
# Files of this package the launch files use (relative to the package's share directory); a test checks they exist.
URDF = os.path.join('urdf', 'cortexbot_arm.urdf.xacro')
CONTROLLERS = os.path.join('config', 'controllers.yaml')
CORTEXBOT_CONFIG = os.path.join('config', 'cortexbot.yaml')
# Gazebo: the world generated from sim/scene.xml (`cortexbot sim export-sdf`), its name, and the bridge's topics
WORLD = os.path.join('worlds', 'cortexbot.sdf')
WORLD_NAME = 'cortexbot_tabletop'
GZ_BRIDGE = os.path.join('config', 'gz_bridge.yaml')
# The free objects' pose topics of config/gz_bridge.yaml (each cube's pose publisher; a test checks they agree): what
# `cortexbot sim detections` turns into the perception topic. The bridged /world/<name>/dynamic_pose/info is no use for
# that: ros_gz_bridge names a transform from its pose header's child_frame_id, which the scene broadcaster leaves empty.
GZ_OBJECT_POSES = ['/gazebo/objects/red_cube/pose', '/gazebo/objects/green_cube/pose', '/gazebo/objects/blue_cube/pose']
# Our services and actions interoperate only when the whole graph runs Cyclone DDS (rmw_cyclonedds puts the request
# header in the payload, Fast DDS does not): every launch file sets this first.
RMW_IMPLEMENTATION = 'rmw_cyclonedds_cpp'


# Where the robot node listens for brains by default: `cortexbot robot serve`'s own default (loopback; a test checks it).
ROBOT_NODE_LISTEN = '127.0.0.1:7470'


def robot_flags(controller, command_interface, rate_hz, stale_ms, trajectory_interface='topic', node_name='cortexbot',
                ros_distro='jazzy', config=None):
    """The robot part's flags, the same on `cortexbot run` and `cortexbot robot serve` (CortexBot speaks ROS 2 over
    Cyclone DDS itself, without rclcpp).

    ROS_DOMAIN_ID is inherited from the launch environment, so CortexBot joins the same domain as the controllers.
    Each motion segment goes to the controller as one multi-point trajectory: on its joint_trajectory topic, or with
    trajectory_interface 'action' as one goal of its follow_joint_trajectory action (with tolerances, results followed).
    node_name is the name `ros2 node list` shows CortexBot under. ros_distro (humble or jazzy) selects the message layouts
    where distributions differ (the graph's Gid, type hashes). config is the package's config/cortexbot.yaml, passed as
    `--config`; the flags given here override its values.
    """
    return ['--robot', 'ros2'] + (['--config', config] if config is not None else []) + [
        '--node-name', node_name,
        '--ros-distro', ros_distro,
        '--controller', controller,
        '--command-interface', command_interface,
        '--trajectory-interface', trajectory_interface,
        '--rate', rate_hz,
        '--stale-ms', stale_ms,
    ]


def cortexbot_command(cortexbot, task, controller, command_interface, rate_hz, stale_ms, episodes='1', trajectory_interface='topic',
                      node_name='cortexbot', ros_distro='jazzy', config=None):
    """The `cortexbot run --robot ros2` command line: brain and robot part on this machine (run starts its own robot
    node child on loopback); robot_flags says what the robot flags mean."""
    return [cortexbot, 'run'] + robot_flags(controller, command_interface, rate_hz, stale_ms, trajectory_interface, node_name,
                                            ros_distro, config) + [
        '--task', task,
        '--episodes', episodes,
        '--json',
    ]


def robot_node_command(cortexbot, listen, controller, command_interface, rate_hz, stale_ms, trajectory_interface='topic',
                       node_name='cortexbot', ros_distro='jazzy', config=None):
    """The `cortexbot robot serve --robot ros2` command line: the robot node (control loop, safety gate, the link to
    ros2_control) that brains (`cortexbot run --robot-node HOST:PORT`, here or on another machine) attach to one at a
    time; it stays up across brains and episodes. listen is its HOST:PORT; node_transport_flags adds the rest."""
    return [cortexbot, 'robot', 'serve'] + robot_flags(controller, command_interface, rate_hz, stale_ms, trajectory_interface,
                                                       node_name, ros_distro, config) + ['--listen', listen]


def node_transport_flags(public_host='', tls_cert='', tls_password_env='', insecure='false'):
    """The robot node's transport flags for the launch arguments' values, an empty value meaning not given (launch
    would pass an empty argument, which cortexbot reads as an empty file name). CortexBot itself refuses what does not
    fit together (a non-loopback --listen without --tls-cert or --insecure, --insecure with --tls-cert, a password
    variable without a certificate) with one line and exit 2, so these are passed as given.

    The certificate's password never appears on a command line (every user sees those): tls_password_env names the
    environment variable holding it, which the robot node inherits from the launch environment.
    """
    flag = insecure.strip().lower()
    if flag not in ('true', 'false', '1', '0'):
        raise ValueError(f"launch argument insecure must be true or false, got '{insecure}'")
    flags = []
    for name, value in (('--public-host', public_host), ('--tls-cert', tls_cert), ('--tls-password-env', tls_password_env)):
        if value.strip():
            flags += [name, value.strip()]
    if flag in ('true', '1'):
        flags.append('--insecure')
    return flags


def detections_relay_command(cortexbot, rate_hz, ros_distro='jazzy', node_name='cortexbot_gz_detections', detections_topic='/detections'):
    """The `cortexbot sim detections` command line: Gazebo's ground-truth object poses (GZ_OBJECT_POSES, bridged as
    tf2_msgs/TFMessage) published as vision_msgs/Detection3DArray on detections_topic, where CortexBot reads a perception
    node's detections; class id = the model's name, box sizes from the installation's sim/scene.xml.

    --stamp receipt: Gazebo stamps the poses with simulated time (seconds since the world started), which CortexBot's
    staleness check cannot compare with its wall clock (it does not read /clock); the relay stamps each pose with the wall
    time it arrived instead, so a pose that stops arriving (Gazebo paused or gone) still ages and is refused as stale.
    """
    return [
        cortexbot, 'sim', 'detections',
        '--from-tf', ','.join(GZ_OBJECT_POSES),
        '--to', detections_topic,
        '--stamp', 'receipt',
        '--frame', 'world',
        '--rate', rate_hz,
        '--node-name', node_name,
        '--ros-distro', ros_distro,
    ]
