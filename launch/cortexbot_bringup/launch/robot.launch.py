"""CortexBot's robot node beside a physical arm: the arm's own driver (ros2_control hardware plugin), controller_manager
with joint_state_broadcaster, the trajectory controller and the gripper controller, robot_state_publisher, and
`cortexbot robot serve --robot ros2` (the control loop, the safety gate and the link to the controllers), which stays up
across brains and episodes.

    ros2 launch cortexbot_bringup robot.launch.py hardware:=my_arm_driver/MyArmHardware

A brain (cortex, memory, episodes) attaches with `cortexbot run --robot-node HOST:PORT --task "..."`, one at a time. On
this machine the default listen:=127.0.0.1:7470 is enough. From a second machine (a GPU workstation) the robot node
listens on the network, which takes TLS between the nodes (a PKCS#12 certificate; the password stays in an environment
variable, never on a command line):

    CORTEXBOT_TLS_PASSWORD=... ros2 launch cortexbot_bringup robot.launch.py hardware:=... \
        listen:=0.0.0.0:7470 public_host:=arm-pc.local tls_cert:=/etc/cortexbot/robot.p12 tls_password_env:=CORTEXBOT_TLS_PASSWORD

or insecure:=true for a plain link on a network you trust (anyone who reaches the port can command the arm).

Set use_controller_manager:=false when the arm's vendor launch already runs controller_manager and the controllers.
Without an arm, use_mock_hardware:=true runs the same bringup on mock_components/GenericSystem (commands echoed as states).
Every process runs Cyclone DDS (RMW_IMPLEMENTATION), as CortexBot's services and actions need.
"""
import os
import sys

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction, RegisterEventHandler, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.substitutions import Command, EnvironmentVariable, FindExecutable, LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CONTROLLERS, CORTEXBOT_CONFIG, PACKAGE, RMW_IMPLEMENTATION, ROBOT_NODE_LISTEN, URDF,  # noqa: E402
                    node_transport_flags, robot_node_command)

# the launch arguments of the robot node's transport, in node_transport_flags' order (empty: not given)
TRANSPORT_ARGUMENTS = ('public_host', 'tls_cert', 'tls_password_env', 'insecure')


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    args = [
        DeclareLaunchArgument('hardware', default_value='',
                              description='ros2_control hardware plugin of the physical arm (required unless use_mock_hardware:=true)'),
        DeclareLaunchArgument('use_mock_hardware', default_value='false',
                              description='true: mock_components/GenericSystem instead of an arm (try the bringup without one)'),
        DeclareLaunchArgument('controller', default_value='joint_trajectory_controller'),
        DeclareLaunchArgument('command_interface', default_value='trajectory', description='trajectory or forward'),
        DeclareLaunchArgument('trajectory_interface', default_value='topic',
                              description='topic (~/joint_trajectory) or action (~/follow_joint_trajectory)'),
        DeclareLaunchArgument('rate_hz', default_value='500'),
        DeclareLaunchArgument('stale_ms', default_value='50'),
        DeclareLaunchArgument('cortexbot', default_value='cortexbot', description='path of the cortexbot launcher'),
        DeclareLaunchArgument('node_name', default_value='cortexbot', description='CortexBot\'s name in `ros2 node list`'),
        # the distribution this launch runs on: its message layouts where distributions differ
        DeclareLaunchArgument('ros_distro', default_value=EnvironmentVariable('ROS_DISTRO', default_value='jazzy'),
                              description='humble or jazzy (default: $ROS_DISTRO)'),
        DeclareLaunchArgument('use_controller_manager', default_value='true'),
        # where brains reach the robot node (`cortexbot run --robot-node HOST:PORT`); secure by default: loopback
        DeclareLaunchArgument('listen', default_value=ROBOT_NODE_LISTEN,
                              description='HOST:PORT the robot node listens on for brains; any address but loopback needs tls_cert or insecure:=true'),
        DeclareLaunchArgument('public_host', default_value='',
                              description='host name or IP address brains reach the robot node by (needed with listen:=0.0.0.0:PORT)'),
        DeclareLaunchArgument('tls_cert', default_value='',
                              description='PKCS#12 file with the robot node\'s certificate and key: TLS with mutual authentication between the nodes'),
        DeclareLaunchArgument('tls_password_env', default_value='',
                              description='name of the environment variable holding the tls_cert file\'s password'),
        DeclareLaunchArgument('insecure', default_value='false',
                              description='true: allow a plain, unauthenticated link off loopback (anyone who reaches the port can command the arm)'),
    ]
    description = ParameterValue(
        Command([FindExecutable(name='xacro'), ' ', os.path.join(share, URDF),
                 ' hardware:=', LaunchConfiguration('hardware'),
                 ' use_mock_hardware:=', LaunchConfiguration('use_mock_hardware'),
                 ' controllers_file:=', os.path.join(share, CONTROLLERS)]),
        value_type=str)
    use_cm = IfCondition(LaunchConfiguration('use_controller_manager'))

    state_publisher = Node(package='robot_state_publisher', executable='robot_state_publisher',
                           parameters=[{'robot_description': description}])
    controller_manager = Node(package='controller_manager', executable='ros2_control_node',
                              parameters=[os.path.join(share, CONTROLLERS)], condition=use_cm, output='screen')
    spawn_jsb = Node(package='controller_manager', executable='spawner',
                     arguments=['joint_state_broadcaster'], condition=use_cm)
    spawn_arm = Node(package='controller_manager', executable='spawner',
                     arguments=[LaunchConfiguration('controller'), 'gripper_controller',
                                '--param-file', os.path.join(share, CONTROLLERS)], condition=use_cm)

    def robot_node(context):
        # an OpaqueFunction: the transport flags are passed only when given (an empty launch argument would reach
        # cortexbot as an empty file name)
        transport = node_transport_flags(*(LaunchConfiguration(name).perform(context) for name in TRANSPORT_ARGUMENTS))
        return [ExecuteProcess(
            cmd=robot_node_command(LaunchConfiguration('cortexbot'), LaunchConfiguration('listen'), LaunchConfiguration('controller'),
                                   LaunchConfiguration('command_interface'), LaunchConfiguration('rate_hz'),
                                   LaunchConfiguration('stale_ms'), LaunchConfiguration('trajectory_interface'),
                                   node_name=LaunchConfiguration('node_name'), ros_distro=LaunchConfiguration('ros_distro'),
                                   config=os.path.join(share, CORTEXBOT_CONFIG)) + transport,
            output='screen')]

    return LaunchDescription([SetEnvironmentVariable('RMW_IMPLEMENTATION', RMW_IMPLEMENTATION)] + args + [
        state_publisher,
        controller_manager,
        spawn_jsb,
        RegisterEventHandler(OnProcessExit(target_action=spawn_jsb, on_exit=[spawn_arm])),
        # the robot node waits for /joint_states itself (as `run` does), so it can start with the controllers
        OpaqueFunction(function=robot_node),
    ])
