; Inno Setup script for Hearth on Windows.
;
; UNTESTED: written without access to a Windows machine; it has never been compiled
; or run. See docs/PACKAGING.md before relying on it.
;
; Build (Inno Setup 6, from the repository root, after PyInstaller made dist\Hearth):
;   iscc /DAppVersion=0.1.0 packaging\windows\hearth.iss
; Output: dist\Hearth-<version>-windows-x64-setup.exe
;
; Installs to Program Files\Hearth (or, if the user picks "only for me",
; %LOCALAPPDATA%\Programs\Hearth), adds a Start-menu shortcut and, if ticked, a desktop
; shortcut. The uninstaller removes the program; it deletes the user's chats, settings
; and downloaded models (%LOCALAPPDATA%\Hearth) only if the user ticks the box it shows.

#define AppName "Hearth"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Hearth"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\hearth.ico"
#endif
#define HasChinese FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")

[Setup]
; AppId identifies Hearth to Windows across versions: never change it.
AppId={{6C1E5B0A-3F7D-4E2B-9A51-8D2F4C7B9E13}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Administrators install for everyone (Program Files); others may install for themselves.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6.8 and later support Windows 10 1809 and later.
MinVersion=10.0.17763
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppName}.exe
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
; Ask a running Hearth to close before files are replaced.
CloseApplications=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
#if HasChinese
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[CustomMessages]
en.RemoveDataTitle=Uninstall Hearth
en.RemoveDataText=Hearth will be removed from this computer. Your chats, settings and downloaded models are kept in:%n%n%1%n%nso that they are there again if you reinstall Hearth.
en.RemoveDataCheck=Also delete my chats, settings and downloaded models
en.Continue=Continue
#if HasChinese
zh_CN.RemoveDataTitle=卸载 Hearth
zh_CN.RemoveDataText=将从这台电脑上删除 Hearth。您的对话、设置和已下载的模型保存在：%n%n%1%n%n重新安装 Hearth 后它们仍然可用。
zh_CN.RemoveDataCheck=同时删除我的对话、设置和已下载的模型
zh_CN.Continue=继续
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The PyInstaller one-folder app. A bundled model (make package MODEL=...) is stored
; without compression: quantized weights do not compress, and trying costs minutes.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Excludes: "_internal\models\*"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#SourceDir}\_internal\models\*"; DestDir: "{app}\_internal\models"; Flags: ignoreversion nocompression skipifsourcedoesntexist

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppName}.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppName}.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppName}.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
var
  RemoveUserData: Boolean;

{ Where Hearth keeps user data on Windows: platformdirs' user data directory for
  "Hearth" (chats, settings, models, cache and logs all live below it). }
function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\Hearth');
end;

{ Before uninstalling, show a small dialog with an unticked box. Data is deleted only if
  the user ticks it; a silent uninstall never deletes it. Cancel stops the uninstall. }
function InitializeUninstall(): Boolean;
var
  Form: TSetupForm;
  Info: TNewStaticText;
  Check: TNewCheckBox;
  OkButton, CancelButton: TNewButton;
begin
  Result := True;
  RemoveUserData := False;
  if UninstallSilent or not DirExists(UserDataDir()) then
    Exit;

#if Ver >= EncodeVer(6, 6, 0)
  Form := CreateCustomForm(420, 190, False, False);
#else
  Form := CreateCustomForm;
  Form.ClientWidth := ScaleX(420);
  Form.ClientHeight := ScaleY(190);
#endif
  try
    Form.Caption := CustomMessage('RemoveDataTitle');
    Form.Position := poScreenCenter;

    Info := TNewStaticText.Create(Form);
    Info.Parent := Form;
    Info.AutoSize := False;
    Info.WordWrap := True;
    Info.Left := ScaleX(12);
    Info.Top := ScaleY(12);
    Info.Width := Form.ClientWidth - ScaleX(24);
    Info.Height := ScaleY(96);
    Info.Caption := FmtMessage(CustomMessage('RemoveDataText'), [UserDataDir()]);

    Check := TNewCheckBox.Create(Form);
    Check.Parent := Form;
    Check.Left := ScaleX(12);
    Check.Top := ScaleY(116);
    Check.Width := Form.ClientWidth - ScaleX(24);
    Check.Height := ScaleY(20);
    Check.Caption := CustomMessage('RemoveDataCheck');
    Check.Checked := False;

    OkButton := TNewButton.Create(Form);
    OkButton.Parent := Form;
    OkButton.Width := ScaleX(90);
    OkButton.Height := ScaleY(26);
    OkButton.Left := Form.ClientWidth - ScaleX(12 + 90 + 8 + 90);
    OkButton.Top := Form.ClientHeight - ScaleY(26 + 12);
    OkButton.Caption := CustomMessage('Continue');
    OkButton.ModalResult := mrOk;
    OkButton.Default := True;

    CancelButton := TNewButton.Create(Form);
    CancelButton.Parent := Form;
    CancelButton.Width := ScaleX(90);
    CancelButton.Height := ScaleY(26);
    CancelButton.Left := Form.ClientWidth - ScaleX(12 + 90);
    CancelButton.Top := Form.ClientHeight - ScaleY(26 + 12);
    CancelButton.Caption := SetupMessage(msgButtonCancel);
    CancelButton.ModalResult := mrCancel;
    CancelButton.Cancel := True;

    if Form.ShowModal() = mrOk then
      RemoveUserData := Check.Checked
    else
      Result := False;
  finally
    Form.Free();
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and RemoveUserData then
    DelTree(UserDataDir(), True, True, True);
end;
