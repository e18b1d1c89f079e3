# Debian package (CPack DEB): include(cmake/packaging.cmake) at the end of the
# top-level CMakeLists.txt, after the install(TARGETS kafka-psc-proxy ...) rule.
#
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
#   cd build && cpack -G DEB            # -> kafka-psc-proxy_<version>_<arch>.deb
#
# The package installs:
#   /usr/bin/kafka-psc-proxy                 (install(TARGETS ...) in CMakeLists.txt)
#   /lib/systemd/system/kafka-psc-proxy.service
#   /etc/kafka-psc-proxy/config.yaml         (conffile: local edits survive upgrades)
#   /usr/share/kafka-psc-proxy/monitoring/   (alerting rules + tests, Grafana dashboard)
# and maintainer scripts (cmake/debian/) that enable the unit on install without
# starting it, try-restart it on upgrade, stop it on remove and clean up on purge.
#
# Runtime dependencies come from dpkg-shlibdeps (package dpkg-dev) reading the
# binary's NEEDED libraries: libspdlog, libyaml-cpp, librdkafka,
# libsystemd, libfmt, libstdc++, libc ...

# Where the Debian layout puts the unit and the configuration. Absolute on
# purpose: they do not move with CMAKE_INSTALL_PREFIX (/usr in the package).
set(KPP_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH
    "Install directory of kafka-psc-proxy.service")
set(KPP_CONFIG_DIR "/etc/kafka-psc-proxy" CACHE PATH
    "Install directory of config.yaml")

set(_kpp_pkg_dir "${CMAKE_CURRENT_LIST_DIR}/debian")

install(FILES "${PROJECT_SOURCE_DIR}/config/kafka-psc-proxy.service"
        DESTINATION "${KPP_SYSTEMD_UNIT_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The example configuration becomes the installed default. 0644: the service runs
# as a DynamicUser= and must be able to read it; keep secrets out of this file.
if(EXISTS "${PROJECT_SOURCE_DIR}/config/kafka-psc-proxy.yaml")
  install(FILES "${PROJECT_SOURCE_DIR}/config/kafka-psc-proxy.yaml"
          DESTINATION "${KPP_CONFIG_DIR}"
          RENAME config.yaml
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
else()
  message(WARNING "config/kafka-psc-proxy.yaml is missing: the package will have no "
                  "/etc/kafka-psc-proxy/config.yaml, and the conffiles entry will be wrong")
endif()

# Prometheus alerting rules (with their promtool tests) and the Grafana dashboard, for the
# operator to copy into their monitoring: /usr/share/kafka-psc-proxy/monitoring/.
install(FILES "${PROJECT_SOURCE_DIR}/config/monitoring/alerts.yaml"
              "${PROJECT_SOURCE_DIR}/config/monitoring/alerts_test.yaml"
              "${PROJECT_SOURCE_DIR}/config/monitoring/dashboard.json"
        DESTINATION "share/kafka-psc-proxy/monitoring"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

find_program(KPP_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT KPP_DPKG_SHLIBDEPS)
  message(STATUS "dpkg-shlibdeps not found (apt-get install dpkg-dev): "
                 "`cpack -G DEB` would produce a package with no Depends line")
endif()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "kafka-psc-proxy")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "kafka-psc-proxy")
set(CPACK_PACKAGE_CONTACT "kafka-psc-proxy maintainers <kafka-psc-proxy@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Kafka-protocol-aware TCP proxy for Private Service Connect")
set(CPACK_PACKAGE_DESCRIPTION
    "kafka-psc-proxy forwards Kafka client connections to a Kafka cluster and rewrites
the broker addresses in Metadata, FindCoordinator, DescribeCluster and related
responses, so that clients reach every broker through the proxy's own ports
(one per broker) behind a single load balancer or Private Service Connect
endpoint. Runs as a systemd service (Type=notify) with an admin HTTP port
serving /health, /ready and /metrics.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}")

set(CPACK_DEBIAN_PACKAGE_NAME "kafka-psc-proxy")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# No Depends on init-system-helpers (deb-systemd-helper): it is Essential in
# bookworm, and the maintainer scripts guard every call to it anyway.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_kpp_pkg_dir}/conffiles"
    "${_kpp_pkg_dir}/postinst"
    "${_kpp_pkg_dir}/prerm"
    "${_kpp_pkg_dir}/postrm")
# 0644 for conffiles, 0755 for the maintainer scripts, whatever the checkout has.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
