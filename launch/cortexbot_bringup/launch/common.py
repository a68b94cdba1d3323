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


def cortexbot_command(cortexbot, task, controller, command_interface, rate_hz, stale_ms, episodes='1', trajectory_interface='topic',
                      node_name='cortexbot', ros_distro='jazzy', config=None):
    """The `cortexbot run --robot ros2` command line (CortexBot speaks ROS 2 over Cyclone DDS itself, without rclcpp).

    ROS_DOMAIN_ID is inherited from the launch environment, so CortexBot joins the same domain as the controllers.
    Each motion segment goes to the controller as one multi-point trajectory: on its joint_trajectory topic, or with
    trajectory_interface 'action' as one goal of its follow_joint_trajectory action (with tolerances, results followed). node_name is the name `ros2 node list` shows CortexBot under. ros_distro
    (humble or jazzy) selects the message layouts where distributions differ (the graph's Gid, type hashes). config is the
    package's config/cortexbot.yaml, passed as `--config`; the flags given here override its values.
    """
    return [
        cortexbot, 'run', '--robot', 'ros2',
    ] + (['--config', config] if config is not None else []) + [
        '--node-name', node_name,
        '--ros-distro', ros_distro,
        '--task', task,
        '--episodes', episodes,
        '--controller', controller,
        '--command-interface', command_interface,
        '--trajectory-interface', trajectory_interface,
        '--rate', rate_hz,
        '--stale-ms', stale_ms,
        '--json',
    ]


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
