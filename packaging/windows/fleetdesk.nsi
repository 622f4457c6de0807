; FleetDesk's Windows installer, built on Linux with NSIS (Debian package nsis) by
; `make package-windows` (scripts/package.sh passes VERSION, VIVERSION, EXE, COM, ICON, OUTFILE).
;
; Per-user: no administrator rights are asked for. The app goes to
; %LOCALAPPDATA%\Programs\FleetDesk: FleetDesk.exe (the window) and fleetdesk.com (the command
; line, a console program: cmd.exe and PowerShell find fleetdesk.com before FleetDesk.exe when
; someone types `fleetdesk`). That folder is added to the user's own PATH (HKCU\Environment), the
; Start-menu shortcut goes to the user's own Start menu, and the uninstall entry ("Apps &
; features") to HKCU. Uninstalling removes the program, the shortcut, the PATH entry and the
; uninstall entry; the user's cache and settings (%LOCALAPPDATA%\fleetdesk, %APPDATA%\fleetdesk,
; %APPDATA%\fyne) and the sign-in kept in Windows Credential Manager stay, so a reinstall finds them.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
; Solid LZMA for the shipped installer; a test build may pass -DCOMPRESSOR=zlib (seconds, not minutes).
!ifndef COMPRESSOR
	!define COMPRESSOR "/SOLID lzma"
!endif
SetCompressor ${COMPRESSOR}

!define APPNAME "FleetDesk"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\FleetDesk"
!define ENVKEY "Environment"

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
!include "LogicLib.nsh"
!include "WordFunc.nsh"
!include "WinMessages.nsh"
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

; The user's PATH is one registry value, read and written whole. NSIS strings hold
; NSIS_MAX_STRLEN (1024) characters: a longer PATH would come back cut short, and writing that
; back would lose the user's own entries. Such a PATH is left alone, and the installer says how to
; add the folder by hand. REG_EXPAND_SZ keeps entries like %USERPROFILE%\bin working.
!macro PathEdit OP
	ClearErrors
	ReadRegStr $0 HKCU "${ENVKEY}" "Path"
	StrLen $1 $0
	IntOp $3 ${NSIS_MAX_STRLEN} - 1
	${If} $1 >= $3
		DetailPrint "Your PATH is too long for the installer to change safely; left as it is."
		!if "${OP}" == "+"
			MessageBox MB_OK|MB_ICONINFORMATION "Your PATH is too long for the installer to change safely. To use fleetdesk from a command prompt, add $INSTDIR to your PATH (Settings, Edit environment variables for your account)." /SD IDOK
		!endif
	${Else}
		${WordAdd} $0 ";" "${OP}$INSTDIR" $2
		${If} $2 != $0
			${If} $2 == ""
				DeleteRegValue HKCU "${ENVKEY}" "Path"
			${Else}
				WriteRegExpandStr HKCU "${ENVKEY}" "Path" $2
			${EndIf}
			; Tell Explorer, so a command prompt opened from now on has the new PATH.
			SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
		${EndIf}
	${EndIf}
!macroend

Section "FleetDesk" SecMain
	SetShellVarContext current
	SetOutPath "$INSTDIR"
	File "/oname=FleetDesk.exe" "${EXE}"
	File "/oname=fleetdesk.com" "${COM}"
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
	!insertmacro PathEdit "+"
SectionEnd

Section "Uninstall"
	SetShellVarContext current
	!insertmacro PathEdit "-"
	Delete "$INSTDIR\FleetDesk.exe"
	Delete "$INSTDIR\fleetdesk.com"
	Delete "$INSTDIR\Uninstall FleetDesk.exe"
	RMDir "$INSTDIR"
	Delete "$SMPROGRAMS\FleetDesk.lnk"
	DeleteRegKey HKCU "${UNINSTKEY}"
	DeleteRegKey HKCU "Software\FleetDesk"
SectionEnd
