"""CortexBot driving the arm in Gazebo (gz sim Harmonic) through gz_ros2_control:
starts Gazebo with worlds/cortexbot.sdf (table, bin, cubes and camera of sim/scene.xml), publishes the arm's description,
spawns it, bridges /clock, the camera, the object poses and the world control service (config/gz_bridge.yaml), spawns
joint_state_broadcaster, then the trajectory and gripper controllers, then starts CortexBot. Every process runs Cyclone
DDS (RMW_IMPLEMENTATION), as CortexBot's services and actions need.

    ros2 launch cortexbot_bringup gazebo.launch.py task:="put the red cube in the bin"

The objects reach ROS as ground-truth poses (/gazebo/objects/<name>/pose, one pose publisher per cube); `cortexbot sim
detections` relays them as vision_msgs/Detection3DArray on /detections, the perception topic CortexBot reads beside a
real arm, so CortexBot perceives Gazebo's cubes as it would a camera's. The relay stamps each pose with the wall time it
arrived (--stamp receipt): Gazebo's stamps are simulated time and CortexBot's staleness check reads the wall clock, not
/clock (use_sim_time is not for CortexBot: its control loop and stale checks run on the host's clocks). The bin is a
static model with no pose publisher: CortexBot takes it, with the table, from its fixtures (--perception-config).

CortexBot runs with `--reset gazebo --gazebo-world <world_name> --perception detections`: before each episode it calls
Gazebo's world control service (/world/<world_name>/control, ros_gz_interfaces/srv/ControlWorld, bridged by the
gz_world_control bridge) with world_control.reset.all, which restores the SDF's poses (every episode starts from the
same world: Gazebo's reset takes no seed), re-anchors its hold target at the reset arm, forgets the detections of the
old world and waits for fresh ones before planning. The flags are given, not left to `run`'s defaults (which pick the
same when the service is on the graph and no simulator node is): a bridge still starting when CortexBot looks would
otherwise make episodes start with a move home instead of a reset.
"""
import os
import sys

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, RegisterEventHandler, SetEnvironmentVariable
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import Command, EnvironmentVariable, FindExecutable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CONTROLLERS, CORTEXBOT_CONFIG, GZ_BRIDGE, PACKAGE, RMW_IMPLEMENTATION, URDF, WORLD, WORLD_NAME,  # noqa: E402
                    cortexbot_command, detections_relay_command)

# how `run` works in Gazebo: each episode resets the world through its control service, the scene comes from the relay
GAZEBO_FLAGS = ['--reset', 'gazebo', '--gazebo-world', LaunchConfiguration('world_name'), '--perception', 'detections']


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    args = [
        DeclareLaunchArgument('task', default_value='put the red cube in the bin'),
        DeclareLaunchArgument('episodes', default_value='1'),
        DeclareLaunchArgument('controller', default_value='joint_trajectory_controller'),
        DeclareLaunchArgument('command_interface', default_value='trajectory'),
        DeclareLaunchArgument('trajectory_interface', default_value='topic'),
        DeclareLaunchArgument('rate_hz', default_value='500'),
        DeclareLaunchArgument('stale_ms', default_value='50'),
        DeclareLaunchArgument('cortexbot', default_value='cortexbot'),
        DeclareLaunchArgument('node_name', default_value='cortexbot', description='CortexBot\'s name in `ros2 node list`'),
        # the distribution this launch runs on: its message layouts where distributions differ
        DeclareLaunchArgument('ros_distro', default_value=EnvironmentVariable('ROS_DISTRO', default_value='jazzy'),
                              description='humble or jazzy (default: $ROS_DISTRO)'),
        DeclareLaunchArgument('world', default_value=os.path.join(share, WORLD), description='SDF world (default: sim/scene.xml\'s)'),
        DeclareLaunchArgument('world_name', default_value=WORLD_NAME, description='the <world name> of that file (its control service)'),
        DeclareLaunchArgument('detections_rate_hz', default_value='15',
                              description='rate of the detections relayed from Gazebo\'s object poses (a perception node\'s 10-30 Hz)'),
    ]
    description = ParameterValue(
        Command([FindExecutable(name='xacro'), ' ', os.path.join(share, URDF),
                 ' hardware:=gazebo controllers_file:=', os.path.join(share, CONTROLLERS)]),
        value_type=str)

    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
        launch_arguments={'gz_args': ['-r ', LaunchConfiguration('world')]}.items())
    state_publisher = Node(package='robot_state_publisher', executable='robot_state_publisher',
                           parameters=[{'robot_description': description, 'use_sim_time': True}])
    spawn_robot = Node(package='ros_gz_sim', executable='create', output='screen',
                       arguments=['-topic', 'robot_description', '-name', 'cortexbot_arm', '-allow_renaming', 'true'])
    bridge = Node(package='ros_gz_bridge', executable='parameter_bridge', name='gz_bridge', output='screen',
                  parameters=[{'config_file': os.path.join(share, GZ_BRIDGE), 'use_sim_time': True}])
    # the world's reset/pause service: ros2 service call /world/<name>/control ros_gz_interfaces/srv/ControlWorld ...
    world_control = Node(package='ros_gz_bridge', executable='parameter_bridge', name='gz_world_control', output='screen',
                         arguments=[['/world/', LaunchConfiguration('world_name'), '/control@ros_gz_interfaces/srv/ControlWorld']])
    spawn_jsb = Node(package='controller_manager', executable='spawner', arguments=['joint_state_broadcaster'])
    spawn_arm = Node(package='controller_manager', executable='spawner',
                     arguments=[LaunchConfiguration('controller'), 'gripper_controller',
                                '--param-file', os.path.join(share, CONTROLLERS)])
    # Gazebo's object poses as the perception topic, from the start (the brain waits for fresh detections)
    detections = ExecuteProcess(
        cmd=detections_relay_command(LaunchConfiguration('cortexbot'), LaunchConfiguration('detections_rate_hz'),
                                     ros_distro=LaunchConfiguration('ros_distro')),
        output='screen')
    brain = cortexbot_command(LaunchConfiguration('cortexbot'), LaunchConfiguration('task'), LaunchConfiguration('controller'),
                              LaunchConfiguration('command_interface'), LaunchConfiguration('rate_hz'),
                              LaunchConfiguration('stale_ms'), LaunchConfiguration('episodes'),
                              LaunchConfiguration('trajectory_interface'), node_name=LaunchConfiguration('node_name'),
                              ros_distro=LaunchConfiguration('ros_distro'),
                              config=os.path.join(share, CORTEXBOT_CONFIG))
    cortexbot = ExecuteProcess(cmd=brain + GAZEBO_FLAGS, output='screen')
    return LaunchDescription([SetEnvironmentVariable('RMW_IMPLEMENTATION', RMW_IMPLEMENTATION)] + args + [
        gazebo,
        state_publisher,
        bridge,
        world_control,
        detections,
        spawn_robot,
        RegisterEventHandler(OnProcessExit(target_action=spawn_robot, on_exit=[spawn_jsb])),
        RegisterEventHandler(OnProcessExit(target_action=spawn_jsb, on_exit=[spawn_arm])),
        RegisterEventHandler(OnProcessExit(target_action=spawn_arm, on_exit=[cortexbot])),
    ])
