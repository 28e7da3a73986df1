# Debian packages with CPack: `cmake --build build --target package` (or
# `cd build && cpack -G DEB`) makes shelter-kiosk, shelter-sync,
# shelter-server and shelterctl .debs; tests/deploy checks them with lintian.
set(SHELTER_DEB_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)

# Per component: the Debian changelog and copyright, gzipped as policy wants.
set(_changelog_gz ${CMAKE_BINARY_DIR}/deb/changelog.gz)
add_custom_command(OUTPUT ${_changelog_gz}
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/deb
                   COMMAND gzip -9n -c ${SHELTER_DEB_DIR}/changelog > ${_changelog_gz}
                   DEPENDS ${SHELTER_DEB_DIR}/changelog)
add_custom_target(deb_changelog ALL DEPENDS ${_changelog_gz})

# shelter_deb(COMPONENT PACKAGE USER STATE GROUPS CONFIGS UNITS START_UNITS)
function(shelter_deb comp pkg user state groups configs units start_units)
  set(PKG ${pkg})
  set(USER ${user})
  set(STATE ${state})
  # CMake lists are ;-separated, shell lists space-separated.
  string(REPLACE ";" " " GROUPS "${groups}")
  string(REPLACE ";" " " CONFIGS "${configs}")
  string(REPLACE ";" " " UNITS "${units}")
  string(REPLACE ";" " " START_UNITS "${start_units}")
  # deploy/debian/COMP-SCRIPT.sh: what one package adds to a script.
  foreach(script postinst prerm postrm)
    string(TOUPPER ${script} SCRIPT)
    set(EXTRA_${SCRIPT} "")
    if(EXISTS ${SHELTER_DEB_DIR}/${comp}-${script}.sh)
      file(READ ${SHELTER_DEB_DIR}/${comp}-${script}.sh EXTRA_${SCRIPT})
    endif()
  endforeach()
  foreach(script postinst prerm postrm)
    configure_file(${SHELTER_DEB_DIR}/${script}.in ${CMAKE_BINARY_DIR}/deb/${comp}/${script} @ONLY
                   FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                                    WORLD_EXECUTE)
  endforeach()
  string(TOUPPER ${comp} COMP)
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA
      "${CMAKE_BINARY_DIR}/deb/${comp}/postinst;${CMAKE_BINARY_DIR}/deb/${comp}/prerm;${CMAKE_BINARY_DIR}/deb/${comp}/postrm"
      PARENT_SCOPE)
  install(FILES ${SHELTER_DEB_DIR}/copyright DESTINATION share/doc/${pkg} COMPONENT ${comp})
  install(FILES ${_changelog_gz} DESTINATION share/doc/${pkg} RENAME changelog.Debian.gz COMPONENT ${comp})
  install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md DESTINATION share/doc/${pkg} COMPONENT ${comp})
  foreach(conf ${configs})
    install(FILES ${SHELTER_DEB_DIR}/defaults/${conf} DESTINATION share/shelter-checkin/defaults COMPONENT ${comp})
  endforeach()
  foreach(unit ${units})
    install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/${unit} DESTINATION /lib/systemd/system COMPONENT ${comp})
  endforeach()
endfunction()

shelter_deb(kiosk shelter-kiosk shelter-kiosk /var/lib/shelter-kiosk "video;render;input;audio" "kiosk.toml"
            "shelter-kiosk.service;shelter-usb-stick@.service" "")
shelter_deb(sync shelter-sync shelter-kiosk /var/lib/shelter-kiosk "" "sync.toml" "shelter-sync.service"
            "shelter-sync.service")
shelter_deb(server shelter-server shelter-server /var/lib/shelter-server "" "server.toml;hub.toml"
            "shelter-server.service" "shelter-server.service")
# The shelter hub role: installed disabled (server-postinst.sh), enabled by
# staff after `shelter-server hub-setup` (docs/operations.md, "Shelter hub").
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/shelter-hub.service DESTINATION /lib/systemd/system COMPONENT server)
set(CPACK_DEBIAN_CTL_PACKAGE_CONTROL_EXTRA "")

# Manual pages from each program's --help (help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  foreach(pair "shelter-kiosk:kiosk" "shelter-sync:sync" "shelter-discovery:sync" "shelter-server:server"
               "shelterctl:ctl")
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 prog)
    list(GET pair 1 comp)
    set(_man ${CMAKE_BINARY_DIR}/deb/${prog}.1.gz)
    add_custom_command(OUTPUT ${_man}
                       COMMAND sh -c "'${HELP2MAN}' --no-info --no-discard-stderr --version-string=${PROJECT_VERSION} -n 'Shelter Check-in' '$<TARGET_FILE:${prog}>' | gzip -9n > '${_man}'"
                       DEPENDS ${prog} VERBATIM)
    add_custom_target(man_${prog} ALL DEPENDS ${_man})
    install(FILES ${_man} DESTINATION share/man/man1 COMPONENT ${comp})
  endforeach()
  # shelter-tls, in sbin: section 8.
  set(_man ${CMAKE_BINARY_DIR}/deb/shelter-tls.8.gz)
  add_custom_command(OUTPUT ${_man}
                     COMMAND sh -c "'${HELP2MAN}' --no-info --section=8 --version-string=${PROJECT_VERSION} -n 'Shelter Check-in TLS certificates' '${PROJECT_SOURCE_DIR}/deploy/shelter-tls' | gzip -9n > '${_man}'"
                     DEPENDS ${PROJECT_SOURCE_DIR}/deploy/shelter-tls VERBATIM)
  add_custom_target(man_shelter_tls ALL DEPENDS ${_man})
  install(FILES ${_man} DESTINATION share/man/man8 COMPONENT server)
endif()
install(FILES ${SHELTER_DEB_DIR}/copyright DESTINATION share/doc/shelterctl COMPONENT ctl)
install(FILES ${_changelog_gz} DESTINATION share/doc/shelterctl RENAME changelog.Debian.gz COMPONENT ctl)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/assets/i18n ${PROJECT_SOURCE_DIR}/assets/demo-frames
        DESTINATION share/shelter-checkin/assets COMPONENT kiosk)
install(FILES ${PROJECT_SOURCE_DIR}/config/kiosk.example.toml DESTINATION share/doc/shelter-kiosk/examples COMPONENT kiosk)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/udev/70-shelter-webcam.rules
              ${PROJECT_SOURCE_DIR}/deploy/udev/71-shelter-usb-stick.rules DESTINATION /lib/udev/rules.d COMPONENT kiosk)
# A USB stick is mounted at the export folder for the kiosk's user (the
# rule above starts shelter-usb-stick@.service, which runs this).
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/usb/usb-stick DESTINATION lib/shelter-checkin COMPONENT kiosk)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/assets/dashboard ${PROJECT_SOURCE_DIR}/assets/prereg
        DESTINATION share/shelter-checkin/assets COMPONENT server)
# The pre-registration page as a folder for any web host (docs/operations.md).
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/prereg-folder.sh DESTINATION lib/shelter-checkin COMPONENT server)
# The network edge: nginx in front for TLS and limits (docs/security.md).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/nginx/shelter-checkin.conf DESTINATION share/shelter-checkin/nginx
        COMPONENT server)
# A hub box's edge: the same site with the hub's certificate and CA
# (shelter-tls with SHELTER_TLS_DIR=/etc/shelter-checkin/hub-tls).
set(_hub_site ${CMAKE_BINARY_DIR}/deb/shelter-hub.conf)
add_custom_command(OUTPUT ${_hub_site}
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/deb
                   COMMAND sh -c "{ echo '# A shelter hub: shelter-checkin.conf with the hub certificate (hub-tls).'; sed 's|/etc/shelter-checkin/tls/|/etc/shelter-checkin/hub-tls/|g' '${PROJECT_SOURCE_DIR}/deploy/nginx/shelter-checkin.conf'; } > '${_hub_site}'"
                   DEPENDS ${PROJECT_SOURCE_DIR}/deploy/nginx/shelter-checkin.conf VERBATIM)
add_custom_target(deb_hub_site ALL DEPENDS ${_hub_site})
install(FILES ${_hub_site} DESTINATION share/shelter-checkin/nginx COMPONENT server)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/shelter-tls DESTINATION sbin COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/config/server.example.toml ${PROJECT_SOURCE_DIR}/config/hub.example.toml
        DESTINATION share/doc/shelter-server/examples COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/config/sync.example.toml DESTINATION share/doc/shelter-sync/examples COMPONENT sync)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL kiosk sync server ctl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Shelter Check-in authors <maintainers@example.invalid>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Shelter Check-in authors <maintainers@example.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/shelter-checkin")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # debug symbols stay in the build tree
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_KIOSK_PACKAGE_NAME shelter-kiosk)
set(CPACK_DEBIAN_SYNC_PACKAGE_NAME shelter-sync)
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME shelter-server)
set(CPACK_DEBIAN_CTL_PACKAGE_NAME shelterctl)
# libcairo2 and the BIZ UD font: the paper fallback's PDFs (shlibdeps adds
# the version); shelterctl print makes the same pages.
set(CPACK_DEBIAN_KIOSK_PACKAGE_DEPENDS "adduser, cage, libcairo2, fonts-morisawa-bizud-gothic")
set(CPACK_DEBIAN_KIOSK_PACKAGE_RECOMMENDS "shelter-sync, shelterctl, fonts-noto-cjk")
set(CPACK_DEBIAN_CTL_PACKAGE_DEPENDS "libcairo2, fonts-morisawa-bizud-gothic")
set(CPACK_DEBIAN_CTL_PACKAGE_RECOMMENDS "fonts-noto-cjk")
set(CPACK_DEBIAN_SYNC_PACKAGE_DEPENDS "adduser")
# avahi-daemon: finding the shelter hub on the LAN (hub = "auto", shelter-discovery).
set(CPACK_DEBIAN_SYNC_PACKAGE_RECOMMENDS "avahi-daemon")
# libcairo2 and the BIZ UD font: the household card sheets the dashboard
# prints (POST /v1/card-sheets); Noto CJK for the kanji BIZ UD lacks (𠮷).
# node-qrcode-generator: the pre-registration page's QR encoder, served from its installed path.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS
    "adduser, nginx-light | nginx, openssl, libcairo2, fonts-morisawa-bizud-gothic, node-qrcode-generator")
# avahi-daemon: a shelter hub announces itself on the LAN through it.
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "fonts-noto-cjk, avahi-daemon")
set(CPACK_DEBIAN_SERVER_PACKAGE_SUGGESTS "postgresql-15")
set(CPACK_COMPONENT_KIOSK_DESCRIPTION
    "Evacuation-shelter check-in kiosk\nA fullscreen touch kiosk: evacuees check in by showing a household QR card\nto the webcam or by a short form; volunteers correct entries in staff mode.\nBoots straight into the kiosk under the cage Wayland compositor.")
set(CPACK_COMPONENT_SYNC_DESCRIPTION
    "Evacuation-shelter check-in sync daemon\nRuns beside each kiosk: sends its check-ins to the municipal server and\nfetches its shelter's, with back-off while offline, and keeps rolling\nonline backups of the kiosk database.")
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "Evacuation-shelter check-in municipal server\nMerges every kiosk's check-ins (SQLite or PostgreSQL) and serves the\nheadquarters dashboard: counts, 安否 search, CSV and PFIF exports.\nOr, as a shelter hub (shelter-hub.service), serves one shelter's kiosks\non its LAN and relays them to the city whenever a link exists.")
set(CPACK_COMPONENT_CTL_DESCRIPTION
    "Evacuation-shelter check-in command line\nshelterctl: check-in without a kiosk, QR cards, exports, USB transfer,\nenrolment, backups and restore.")
include(CPack)
