# Install-time part of `cmake --install` (CMakeLists.txt): the systemd unit with the
# prefix's paths, and /etc/stoa/stoa.yaml unless one is there already.
# Inputs: CMAKE_INSTALL_PREFIX (--prefix), DESTDIR (env), STOA_SRC.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(STOA_SYSCONFDIR "/etc")
else()
  set(STOA_SYSCONFDIR "${prefix}/etc")
endif()
set(STOA_BINDIR "${prefix}/bin")
set(STOA_DOCDIR "${prefix}/share/doc/stoa")
set(dest "$ENV{DESTDIR}")
configure_file("${STOA_SRC}/docker/host/stoa.service.in" "${dest}${prefix}/lib/systemd/system/stoa.service" @ONLY)
message(STATUS "Installing: ${dest}${prefix}/lib/systemd/system/stoa.service")
set(conf "${dest}${STOA_SYSCONFDIR}/stoa/stoa.yaml")
if(EXISTS "${conf}")
  message(STATUS "Keeping: ${conf}")
else()
  file(INSTALL "${STOA_SRC}/docker/host/stoa.yaml" DESTINATION "${dest}${STOA_SYSCONFDIR}/stoa"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()
