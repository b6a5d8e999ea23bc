# ctl.cmake - outguardctl's commands against a database made by outguard -n.
# Included from test/unit/CMakeLists.txt.
add_test(NAME ctl_commands
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl.sh
          $<TARGET_FILE:outguard> $<TARGET_FILE:outguardctl>)
add_test(NAME ctl_rules
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl_rules.sh
          $<TARGET_FILE:outguard> $<TARGET_FILE:outguardctl>)
add_test(NAME ctl_incidents
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl_incidents.sh
          $<TARGET_FILE:outguard> $<TARGET_FILE:outguardctl>)
add_test(NAME ctl_simulate
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_ctl_simulate.sh
          $<TARGET_FILE:outguard> $<TARGET_FILE:outguardctl>)
