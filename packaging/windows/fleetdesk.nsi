; FleetDesk's Windows installer, built on Linux with NSIS (Debian package nsis) by
; `make package-windows` (scripts/package.sh passes VERSION, VIVERSION, EXE, ICON, OUTFILE).
;
; Per-user: no administrator rights are asked for. The app goes to
; %LOCALAPPDATA%\Programs\FleetDesk, the Start-menu shortcut to the user's own Start menu, and the
; uninstall entry ("Apps & features") to HKCU. Uninstalling removes the program, the shortcut and
; the entry; the user's cache and settings (%LOCALAPPDATA%\fleetdesk, %APPDATA%\fyne) and the
; sign-in kept in Windows Credential Manager stay, so a reinstall finds them.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!define APPNAME "FleetDesk"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\FleetDesk"

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\FleetDesk"
InstallDirRegKey HKCU "Software\FleetDesk" "InstallDir"
Icon "${ICON}"
UninstallIcon "${ICON}"

VIProductVersion "${VIVERSION}"
VIFileVersion "${VIVERSION}"
VIAddVersionKey /LANG=1033 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APPNAME} ${VERSION} setup"
VIAddVersionKey /LANG=1033 "LegalCopyright" "FleetDesk"

!include "MUI2.nsh"
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\FleetDesk.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start FleetDesk"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "FleetDesk" SecMain
	SetShellVarContext current
	SetOutPath "$INSTDIR"
	File "/oname=FleetDesk.exe" "${EXE}"
	WriteUninstaller "$INSTDIR\Uninstall FleetDesk.exe"
	CreateShortcut "$SMPROGRAMS\FleetDesk.lnk" "$INSTDIR\FleetDesk.exe" "" "$INSTDIR\FleetDesk.exe" 0

	WriteRegStr HKCU "Software\FleetDesk" "InstallDir" "$INSTDIR"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
	WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "FleetDesk"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$\"$INSTDIR\FleetDesk.exe$\",0"
	WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
	WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" "$\"$INSTDIR\Uninstall FleetDesk.exe$\""
	WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" "$\"$INSTDIR\Uninstall FleetDesk.exe$\" /S"
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
	SetShellVarContext current
	Delete "$INSTDIR\FleetDesk.exe"
	Delete "$INSTDIR\Uninstall FleetDesk.exe"
	RMDir "$INSTDIR"
	Delete "$SMPROGRAMS\FleetDesk.lnk"
	DeleteRegKey HKCU "${UNINSTKEY}"
	DeleteRegKey HKCU "Software\FleetDesk"
SectionEnd
