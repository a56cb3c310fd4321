import { mount } from "../shared/mount";
import { TaskPane } from "./TaskPane";

void mount(TaskPane);
